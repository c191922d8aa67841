#pragma once
// Reads a response body in whatever framing the backend chose (Content-Length, chunked,
// until close) and hands it on as pieces of payload, so the caller writes them once in the
// framing the client gets. take() works on what is buffered and never waits; fill() reads
// more from the backend.
#include <cstdint>
#include <string>
#include <string_view>

#include "http/chunked_decoder.h"
#include "http/head_parser.h"
#include "net/asio.h"
#include "upstream/connection_pool.h"

namespace postern::upstream {

class ResponseBody {
 public:
  enum class Step : uint8_t {
    kPiece,     // `data` is payload; `last` says whether the body ends with it
    kNeedMore,  // fill(), then take again
    kError,     // invalid chunked framing (the body is cut short)
  };
  // buffer[pos, end) holds the bytes read after the head. `scratch` receives decoded chunks.
  ResponseBody(const http::ResponseHead& head, char* buffer, size_t capacity, size_t pos, size_t end,
               std::string& scratch);

  Step take(std::string_view& data, bool& last);
  // Reads more. Returns false when the body cannot go on (see ended_cleanly()).
  net::awaitable<bool> fill(UpstreamConnection& conn, net::error_code& ec);

  // The whole body arrived as framed, nothing after it: the connection can be reused.
  bool reusable() const { return complete_ && pos_ == end_ && framing_ != http::BodyFraming::kUntilClose; }
  bool complete() const { return complete_; }
  uint64_t payload_bytes() const { return payload_; }

 private:
  http::BodyFraming framing_;
  uint64_t remaining_;  // Content-Length bytes still to come
  char* buf_;
  size_t cap_;
  size_t pos_;
  size_t end_;
  std::string& scratch_;
  http::ChunkedDecoder chunked_;
  bool complete_ = false;
  bool eof_ = false;  // until-close: the backend closed (the body's end)
  uint64_t payload_ = 0;
};

}  // namespace postern::upstream
