#pragma once
// Parsing of HTTP/1.x message heads (request and response), strictly, with llhttp.
//
// The caller accumulates bytes until find_head_end() reports a complete head, then parses
// that contiguous region; header views point into it. Bodies are framed by the caller
// (Content-Length counting or ChunkedDecoder), so a head parse never consumes body bytes.
//
// Everything that could make two parsers disagree about where a message ends is an error
// (design.md "Security rules"): Content-Length with Transfer-Encoding, several or invalid
// Content-Length values, a Transfer-Encoding other than a final "chunked", obs-fold, and
// bare CR, bare LF or NUL anywhere in the head.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/headers.h"

namespace postern::http {

enum class BodyFraming : uint8_t {
  kNone,           // no body
  kContentLength,  // exactly content_length bytes
  kChunked,        // chunked transfer coding
  kUntilClose,     // responses only: read until the server closes
};

// Why a head was rejected; status is the HTTP status to answer with.
struct HeadError {
  int status = 0;  // 0 = no error
  const char* reason = "";
  explicit operator bool() const { return status != 0; }
};

// Result of scanning the buffered bytes for the end of a head.
struct HeadScan {
  enum class Kind : uint8_t { kComplete, kNeedMore, kError } kind = Kind::kNeedMore;
  size_t head_end = 0;  // kComplete: offset just past the blank line
  size_t skip = 0;      // leading empty lines to ignore (RFC 9112 §2.2 robustness)
  HeadError error;      // kError
};

// Scans data[0..len) for "\r\n\r\n", validating line endings and control bytes on the way.
// `max_head_bytes` over without a complete head gives a 431 error (status passed by caller:
// 431 for requests, 502 for responses).
HeadScan find_head_end(const char* data, size_t len, size_t max_head_bytes, int too_large_status);

struct RequestHead {
  std::string_view method;
  std::string_view target;  // raw request-target, path + "?" + query
  std::string_view path;    // target before '?'
  std::string_view query;   // after '?', may be empty
  bool has_query = false;
  uint8_t version_minor = 1;  // HTTP/1.x
  HeaderList headers;
  std::string_view host;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;          // by version and Connection
  bool expect_continue = false;    // Expect: 100-continue
  bool upgrade_websocket = false;  // Upgrade: websocket
  bool has_upgrade = false;        // any Upgrade header (h2c is ignored, per RFC 9110 §7.8)
  std::string_view connection;     // raw Connection header value (names more hop-by-hop headers)
  void clear();
};

// Parses a complete request head (as found by find_head_end, without the skipped prefix).
HeadError parse_request_head(const char* data, size_t len, size_t max_uri_bytes, RequestHead& out);

struct ResponseHead {
  int status = 0;
  std::string_view reason;
  uint8_t version_minor = 1;
  HeaderList headers;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;
  std::string_view connection;
  void clear();
};

// Parses a complete response head. `request_was_head` or a 1xx/204/304 status means no body.
HeadError parse_response_head(const char* data, size_t len, bool request_was_head, ResponseHead& out);

}  // namespace postern::http
