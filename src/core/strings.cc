#include "core/strings.h"

#include <ctime>

#include <charconv>
#include <limits>

namespace postern {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool header_has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = trim(list.substr(0, comma));
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = uint64_t(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

void append_decimal(std::string& out, uint64_t v) {
  char buf[20];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_hex(std::string& out, uint64_t v, int width) {
  char buf[16];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  for (int pad = width - int(r.ptr - buf); pad > 0; --pad) out.push_back('0');
  out.append(buf, r.ptr);
}

namespace {

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates,
// at most U+10FFFF), or 0 when the bytes there are not one.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto at = [&](size_t k) { return i + k < s.size() ? (unsigned char)s[i + k] : 0u; };
  unsigned c = at(0);
  auto cont = [](unsigned b) { return (b & 0xC0u) == 0x80u; };
  if (c >= 0xC2 && c <= 0xDF) return cont(at(1)) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned b = at(1);
    if (c == 0xE0 && b < 0xA0) return 0;  // overlong
    if (c == 0xED && b > 0x9F) return 0;  // surrogates
    return cont(b) && cont(at(2)) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned b = at(1);
    if (c == 0xF0 && b < 0x90) return 0;  // overlong
    if (c == 0xF4 && b > 0x8F) return 0;  // above U+10FFFF
    return cont(b) && cont(at(2)) && cont(at(3)) ? 4 : 0;
  }
  return 0;
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else if (c < 0x80) {
          out += char(c);
        } else if (size_t n = utf8_sequence_length(s, i); n > 0) {
          out.append(s.substr(i, n));
          i += n - 1;
        } else {
          // Bytes from the network that are not UTF-8: a strict JSON reader would reject
          // the whole line, so each bad byte becomes U+FFFD.
          out += "\\ufffd";
        }
    }
  }
}

namespace {
void append_two_digits(std::string& out, int v) {
  out += char('0' + v / 10);
  out += char('0' + v % 10);
}
}  // namespace

void append_iso8601_micros(std::string& out, int64_t unix_micros) {
  if (unix_micros < 0) unix_micros = 0;
  time_t secs = time_t(unix_micros / 1'000'000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  append_decimal(out, uint64_t(tm.tm_year + 1900));
  out += '-';
  append_two_digits(out, tm.tm_mon + 1);
  out += '-';
  append_two_digits(out, tm.tm_mday);
  out += 'T';
  append_two_digits(out, tm.tm_hour);
  out += ':';
  append_two_digits(out, tm.tm_min);
  out += ':';
  append_two_digits(out, tm.tm_sec);
  out += '.';
  uint64_t frac = uint64_t(unix_micros % 1'000'000);
  char digits[6];
  for (int i = 5; i >= 0; --i, frac /= 10) digits[i] = char('0' + frac % 10);
  out.append(digits, 6);
  out += 'Z';
}

}  // namespace postern
