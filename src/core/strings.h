#pragma once
// Small string helpers used across modules.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace postern {

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }

// Case-insensitive ASCII equality (header names, tokens).
bool iequals(std::string_view a, std::string_view b);

// True when `list` (a comma-separated header value) contains `token`, case-insensitively.
bool header_has_token(std::string_view list, std::string_view token);

std::string_view trim(std::string_view s);

// Parses a decimal unsigned integer, rejecting signs, spaces and overflow.
std::optional<uint64_t> parse_u64(std::string_view s);

// Append an integer in decimal / lower-case hex (zero-padded to `width`). Hot-path
// replacements for fmt when only a number is formatted.
void append_decimal(std::string& out, uint64_t v);
void append_hex(std::string& out, uint64_t v, int width = 0);

// "2026-11-26T09:31:30.123456Z": a Unix time in microseconds as ISO-8601 UTC (negative = 0).
void append_iso8601_micros(std::string& out, int64_t unix_micros);

// Appends `s` to `out` escaped as the inside of a JSON string; bytes that are not UTF-8
// become U+FFFD, so the output is always valid JSON text.
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace postern
