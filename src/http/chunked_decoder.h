#pragma once
// Strict decoder for the chunked transfer coding (RFC 9112 §7.1). Input may arrive in any
// pieces; decoded payload bytes are appended to the caller's buffer. Chunk extensions are
// skipped (bounded), trailers are read and dropped (bounded): the gateway forwards a freshly
// encoded body, never the client's framing.
#include <cstddef>
#include <cstdint>
#include <string>

namespace postern::http {

class ChunkedDecoder {
 public:
  enum class Result : uint8_t {
    kNeedMore,  // all input consumed, message not finished
    kDone,      // last chunk and trailers read; `consumed` says where the next message starts
    kError,     // malformed: answer 400 and close
  };

  void reset() { *this = ChunkedDecoder(); }

  // Decodes from data[0..len); appends payload to `payload`; sets `consumed`.
  Result feed(const char* data, size_t len, std::string& payload, size_t& consumed);

  const char* error() const { return error_; }
  uint64_t payload_bytes() const { return total_; }

 private:
  enum class State : uint8_t {
    kSize,
    kExt,
    kSizeLf,
    kData,
    kDataCr,
    kDataLf,
    kTrailerStart,
    kTrailerLine,
    kTrailerLf,
    kFinalLf,
    kDone
  };
  Result fail(const char* why) {
    error_ = why;
    return Result::kError;
  }
  State state_ = State::kSize;
  uint64_t remaining_ = 0;
  int size_digits_ = 0;
  size_t ext_bytes_ = 0;
  size_t trailer_bytes_ = 0;
  uint64_t total_ = 0;
  const char* error_ = "";
};

}  // namespace postern::http
