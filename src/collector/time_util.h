#pragma once
// Times as reports take and show them: ISO-8601 UTC or a relative age ("24h") on the way
// in, ISO-8601 UTC on the way out. All instants are unix microseconds.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace postern::collector {

// Parses "2026-11-26", "2026-11-26T09:31", "2026-11-26T09:31:30", with optional fraction
// (up to microseconds) and an optional "Z" or "+00:00" (anything else is not UTC and is
// refused), or a relative age "<N>s|m|h|d|w" meaning `now_us` minus that much.
std::optional<int64_t> parse_time(std::string_view text, int64_t now_us);

// "2026-11-26T09:31:30Z" (seconds precision; sub-second digits only when `micros`).
std::string format_time(int64_t us, bool micros = false);

// Days since 1970-01-01 of a proleptic Gregorian date, and back (for any date after 1600).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t days, int64_t& y, unsigned& m, unsigned& d);

int64_t now_us();

}  // namespace postern::collector
