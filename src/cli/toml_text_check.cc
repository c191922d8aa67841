#include "cli/toml_text_check.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace postern::cli {

namespace {

// toml11 parses nested arrays and inline tables recursively: a hostile file could nest deep
// enough to exhaust the stack. A real micro-gw.conf nests a few levels.
bool too_deep(std::string_view text) {
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      if (c == '\\' && quote == '"') ++i;
      else if (c == quote || c == '\n') quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxTomlNesting) return true;
    } else if (c == ']' || c == '}') {
      depth = std::max(0, depth - 1);
    } else if (c == '\n') {
      depth = std::min(depth, 2);  // table headers end at the line; values may span lines
    }
  }
  return false;
}

// Length of the well-formed UTF-8 sequence at `s` (RFC 3629: shortest form, no
// surrogates, at most U+10FFFF), or 0.
size_t utf8_sequence(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t lead = b(0);
  if (lead < 0x80) return 1;
  size_t n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
  if (n == 0 || lead > 0xF4 || s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i)
    if ((b(i) & 0xC0) != 0x80) return 0;
  if (n == 3 && ((lead == 0xE0 && b(1) < 0xA0) || (lead == 0xED && b(1) >= 0xA0))) return 0;  // overlong, surrogate
  if (n == 4 && ((lead == 0xF0 && b(1) < 0x90) || (lead == 0xF4 && b(1) >= 0x90))) return 0;  // overlong, > U+10FFFF
  return n;
}

}  // namespace

std::string toml_text_problem(std::string_view text, std::string_view file_name) {
  const std::string file(file_name);
  unsigned line = 1, column = 1;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<uint8_t>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "%04X", c);
      return file + ":" + std::to_string(line) + ":" + std::to_string(column) +
             ": not valid TOML: control character U+" + hex + " (TOML allows only tab, CR and LF)";
    }
    const size_t n = utf8_sequence(text.substr(i));
    if (n == 0) {
      return file + ":" + std::to_string(line) + ":" + std::to_string(column) +
             ": not valid TOML: not UTF-8 (save the file as UTF-8)";
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += n;
  }
  if (too_deep(text)) return file + ": arrays or tables nested more than 32 deep; not a micro-gw.conf";
  return "";
}

}  // namespace postern::cli
