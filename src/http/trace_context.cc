#include "http/trace_context.h"

namespace postern::http {

namespace {

bool lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool all_zero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

int hex_value(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

}  // namespace

bool parse_traceparent(std::string_view v, TraceParent& out) {
  // version(2) '-' trace-id(32) '-' parent-id(16) '-' flags(2) = 55
  if (v.size() < 55) return false;
  std::string_view version = v.substr(0, 2);
  if (!lower_hex(version) || version == "ff") return false;
  if (version == "00" && v.size() != 55) return false;
  if (v.size() > 55 && v[55] != '-') return false;
  if (v[2] != '-' || v[35] != '-' || v[52] != '-') return false;
  std::string_view trace_id = v.substr(3, 32), parent_id = v.substr(36, 16), flags = v.substr(53, 2);
  if (!lower_hex(trace_id) || !lower_hex(parent_id) || !lower_hex(flags)) return false;
  if (all_zero(trace_id) || all_zero(parent_id)) return false;
  out.trace_id = trace_id;
  out.parent_id = parent_id;
  out.flags = uint8_t(hex_value(flags[0]) * 16 + hex_value(flags[1]));
  return true;
}

void format_traceparent(std::string& out, std::string_view trace_id, uint64_t span_id, uint8_t flags) {
  static const char* hex = "0123456789abcdef";
  out += "00-";
  out.append(trace_id);
  out += '-';
  if (span_id == 0) span_id = 1;  // an all-zero parent id is invalid
  for (int shift = 60; shift >= 0; shift -= 4) out += hex[(span_id >> shift) & 15];
  out += '-';
  out += hex[flags >> 4];
  out += hex[flags & 15];
}

}  // namespace postern::http
