#pragma once
// The client's request body, as the upstream exchange takes it (upstream/request_body.h):
// Content-Length bytes as they are, chunked bodies decoded (the exchange re-frames them).
// Bytes already read with the head go first; more are read from the client into the same
// buffer when they are used up. "100 Continue" is sent once, before the first such read,
// when the client asked for it: by then a backend connection exists.
#include <cstdint>

#include "http/chunked_decoder.h"
#include "http/head_parser.h"
#include "net/transport.h"
#include "upstream/request_body.h"

namespace postern::server {

// What the body needs from its connection.
class ClientIo {
 public:
  virtual ~ClientIo() = default;
  virtual void arm_body_read() = 0;                  // the body timeout
  virtual net::awaitable<bool> send_continue() = 0;  // "HTTP/1.1 100 Continue"
  virtual net::awaitable<size_t> read_client(char* at, size_t room, net::error_code& ec) = 0;
};

class ClientBody final : public upstream::RequestBody {
 public:
  // buf[pos, end) holds what was read after the head; `pos` and `end` are the session's
  // and move as the body is consumed. `max_bytes` 0 = no limit (chunked bodies; a
  // Content-Length over the limit was refused before).
  ClientBody(ClientIo& io, const http::RequestHead& head, char* buf, size_t cap, size_t& pos, size_t& end,
             uint64_t max_bytes, std::string& chunk);

  bool chunked() const override { return chunked_; }
  Status take(Piece& piece) override;
  net::awaitable<Status> fill() override;
  bool replayable() const override { return replayable_; }
  void rewind() override;
  uint64_t bytes() const { return chunked_ ? decoder_.payload_bytes() : taken_; }
  // Whether all of it was read (the connection can carry another request).
  bool consumed() const { return done_; }
  const char* framing_error() const { return decoder_.error(); }

 private:
  ClientIo& io_;
  const bool chunked_;
  const bool expect_continue_;
  const uint64_t length_;  // Content-Length
  char* buf_;
  size_t cap_;
  size_t& pos_;
  size_t& end_;
  const size_t begin_;  // where the body started in the buffer
  const uint64_t max_bytes_;
  std::string& chunk_;
  http::ChunkedDecoder decoder_;
  uint64_t taken_ = 0;  // Content-Length bytes handed on
  bool replayable_;
  bool continue_sent_ = false;
  bool done_ = false;
};

}  // namespace postern::server
