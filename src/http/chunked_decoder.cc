#include "http/chunked_decoder.h"

#include <algorithm>

namespace postern::http {
namespace {
constexpr size_t kMaxExtensionBytes = 1024;
constexpr size_t kMaxTrailerBytes = 8192;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

ChunkedDecoder::Result ChunkedDecoder::feed(const char* data, size_t len, std::string& payload, size_t& consumed) {
  size_t i = 0;
  while (i < len) {
    char c = data[i];
    switch (state_) {
      case State::kSize: {
        int d = hex_digit(c);
        if (d >= 0) {
          if (size_digits_ >= 15) return fail("chunk size too large");
          remaining_ = remaining_ * 16 + uint64_t(d);
          ++size_digits_;
          ++i;
          break;
        }
        if (size_digits_ == 0) return fail("invalid chunk size");
        if (c == ';') {
          state_ = State::kExt;
          ++i;
        } else if (c == '\r') {
          state_ = State::kSizeLf;
          ++i;
        } else {
          return fail("invalid chunk size");
        }
        break;
      }
      case State::kExt:
        // Extensions are ignored, but bounded, and may not contain bare CR/LF or NUL.
        if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (c == '\n' || c == '\0') {
          return fail("invalid chunk extension");
        } else if (++ext_bytes_ > kMaxExtensionBytes) {
          return fail("chunk extension too long");
        }
        ++i;
        break;
      case State::kSizeLf:
        if (c != '\n') return fail("chunk size line not terminated by CRLF");
        ++i;
        size_digits_ = 0;
        ext_bytes_ = 0;
        state_ = remaining_ == 0 ? State::kTrailerStart : State::kData;
        break;
      case State::kData: {
        size_t n = size_t(std::min<uint64_t>(remaining_, len - i));
        payload.append(data + i, n);
        total_ += n;
        remaining_ -= n;
        i += n;
        if (remaining_ == 0) state_ = State::kDataCr;
        break;
      }
      case State::kDataCr:
        if (c != '\r') return fail("chunk data not followed by CRLF");
        ++i;
        state_ = State::kDataLf;
        break;
      case State::kDataLf:
        if (c != '\n') return fail("chunk data not followed by CRLF");
        ++i;
        state_ = State::kSize;
        break;
      case State::kTrailerStart:
        if (c == '\r') {
          state_ = State::kFinalLf;
          ++i;
          break;
        }
        state_ = State::kTrailerLine;
        [[fallthrough]];
      case State::kTrailerLine:
        if (c == '\r') {
          state_ = State::kTrailerLf;
        } else if (c == '\n' || c == '\0') {
          return fail("invalid trailer");
        } else if (++trailer_bytes_ > kMaxTrailerBytes) {
          return fail("trailers too large");
        }
        ++i;
        break;
      case State::kTrailerLf:
        if (c != '\n') return fail("trailer line not terminated by CRLF");
        ++i;
        state_ = State::kTrailerStart;
        break;
      case State::kFinalLf:
        if (c != '\n') return fail("last chunk not terminated by CRLF");
        ++i;
        state_ = State::kDone;
        consumed = i;
        return Result::kDone;
      case State::kDone: consumed = i; return Result::kDone;
    }
  }
  consumed = i;
  return state_ == State::kDone ? Result::kDone : Result::kNeedMore;
}

}  // namespace postern::http
