#include "http/path_normalizer.h"

#include <array>

namespace postern::http {
namespace {

// RFC 3986 pchar without '%' (handled separately): unreserved / sub-delims / ":" / "@".
constexpr std::array<bool, 256> make_pchar_table() {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (char c : {'-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@'})
    t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr auto kPchar = make_pchar_table();

constexpr bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends one decoded segment (without its leading '/') to out, handling dot segments.
// `out` always starts with '/' and never ends with '/' except when it is exactly "/".
void push_segment(std::string& out, std::string_view seg) {
  if (seg.empty() || seg == ".") return;
  if (seg == "..") {
    size_t slash = out.rfind('/');
    out.resize(slash == 0 ? 1 : slash);
    return;
  }
  if (out.size() > 1) out += '/';
  out.append(seg);
}

}  // namespace

const char* path_error_text(PathError e) {
  switch (e) {
    case PathError::kNone: return "ok";
    case PathError::kNotOriginForm: return "request target must be a path starting with '/'";
    case PathError::kBadEscape: return "malformed percent-escape in path";
    case PathError::kEncodedSlash: return "encoded '/' (%2F) in path is not allowed";
    case PathError::kEncodedNul: return "encoded NUL (%00) in path is not allowed";
    case PathError::kBadCharacter: return "invalid character in path";
  }
  return "invalid path";
}

PathError normalize_path(std::string_view raw, std::string& out, bool allow_encoded_slash) {
  out.clear();
  if (raw.empty() || raw[0] != '/') return PathError::kNotOriginForm;
  out.push_back('/');
  // One decoded segment at a time; thread_local so steady-state calls do not allocate.
  thread_local std::string seg;
  size_t i = 1;
  for (;;) {
    seg.clear();
    while (i < raw.size() && raw[i] != '/') {
      unsigned char c = static_cast<unsigned char>(raw[i]);
      if (c == '%') {
        if (i + 2 >= raw.size()) return PathError::kBadEscape;
        int hi = hex_value(raw[i + 1]);
        int lo = hex_value(raw[i + 2]);
        if (hi < 0 || lo < 0) return PathError::kBadEscape;
        unsigned char decoded = static_cast<unsigned char>(hi * 16 + lo);
        i += 3;
        if (decoded == 0) return PathError::kEncodedNul;
        if (decoded == '/' && !allow_encoded_slash) return PathError::kEncodedSlash;
        if (is_unreserved(decoded)) {
          // "%2e%2e" becomes ".." here and climbs like "..": a backend would see it so too.
          seg.push_back(char(decoded));
        } else {
          static const char* kHex = "0123456789ABCDEF";
          seg.push_back('%');
          seg.push_back(kHex[decoded >> 4]);
          seg.push_back(kHex[decoded & 15]);
        }
        continue;
      }
      if (!kPchar[c]) return PathError::kBadCharacter;
      seg.push_back(char(c));
      ++i;
    }
    push_segment(out, seg);
    if (i >= raw.size()) break;
    ++i;  // the '/'
    if (i == raw.size()) {
      // A trailing slash is kept: some templates distinguish "/a/" from "/a".
      if (out.size() > 1) out.push_back('/');
      break;
    }
  }
  return PathError::kNone;
}

bool query_is_valid(std::string_view query) {
  for (size_t i = 0; i < query.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(query[i]);
    if (c == '%') {
      if (i + 2 >= query.size()) return false;
      if (hex_value(query[i + 1]) < 0 || hex_value(query[i + 2]) < 0) return false;
      i += 2;
      continue;
    }
    if (c == '/' || c == '?') continue;
    // Brackets, '|', '^', '`', '{', '}' and '"' are not legal, but real clients send them
    // unencoded in queries; they are harmless to routing, so accept them.
    if (c == '[' || c == ']' || c == '|' || c == '^' || c == '`' || c == '{' || c == '}' || c == '"') continue;
    if (!kPchar[c]) return false;
  }
  return true;
}

}  // namespace postern::http
