#pragma once
// Turning an uploaded body into an EventFile: gunzip (bounded), split into JSON lines,
// validate each against schema v1. Pure functions, no I/O: the server maps the outcome to
// 200/400/413, and unit tests feed every malformed case of the contract.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "collector/event.h"

namespace postern::collector {

// 1..128 characters of [A-Za-z0-9._-] (the contract's file_id).
bool valid_file_id(std::string_view id);

enum class DecodeError {
  kNone,
  kBadGzip,   // not a complete, valid gzip stream (-> 400)
  kTooLarge,  // decompressed size over the limit (-> 413)
};

// Gunzips `body` into `out` (gzip only: zlib windowBits 16+MAX_WBITS), stopping as soon as
// the output would exceed `max_size`. Concatenated gzip members are accepted (gzip(1)
// allows them); trailing bytes that are not a gzip member are an error.
DecodeError gunzip(std::string_view body, size_t max_size, std::string& out);

struct ParseError {
  std::string message;
  int64_t line = 0;  // 1-based line of the problem; 0 when it is about the whole file
};

// Parses JSON Lines text (every line ends with "\n") into `file.requests` / `file.gaps`
// and sets `file.lines`. A line is malformed when it is not a JSON object, lacks `schema`
// or `type`, has a schema other than 1, has an unknown type, or lacks a v1 key of its type
// or has it with the wrong JSON type. Unknown keys are ignored. A NUL character in a
// string is stored as U+FFFD (PostgreSQL text cannot hold NUL).
// `expected_lines` (X-Postern-Events) must match when given. On error nothing is kept.
std::optional<ParseError> parse_event_lines(std::string_view text, std::optional<int64_t> expected_lines,
                                            EventFile& file);

}  // namespace postern::collector
