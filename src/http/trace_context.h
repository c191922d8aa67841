#pragma once
// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` header the
// gateway reads from the client and rewrites for the backend, with itself as the parent.
#include <cstdint>
#include <string>
#include <string_view>

namespace postern::http {

struct TraceParent {
  std::string_view trace_id;   // 32 lower-case hex digits, not all zero
  std::string_view parent_id;  // 16 lower-case hex digits, not all zero
  uint8_t flags = 0;
};

// Parses a traceparent value. Version 00 must be exactly 55 characters; a later version
// may be longer (the part after the known fields is ignored, as the spec asks). Version
// ff, upper-case hex and all-zero ids are invalid.
bool parse_traceparent(std::string_view value, TraceParent& out);

// "00-<trace_id>-<span_id>-<flags>" into `out`.
void format_traceparent(std::string& out, std::string_view trace_id, uint64_t span_id, uint8_t flags);

}  // namespace postern::http
