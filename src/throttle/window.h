#pragma once
// Fixed throttling windows, aligned to multiples of their length since the Unix epoch, so
// every worker and every node of a fleet agrees on when a window starts and ends without
// talking to each other (docs/throttling.md, "Why fixed windows").
#include <cstdint>

namespace postern::throttle {

// Start of the window of length `unit_ms` that contains `now_ms` (both Unix milliseconds).
inline int64_t window_start(int64_t now_ms, int64_t unit_ms) {
  int64_t r = now_ms % unit_ms;
  if (r < 0) r += unit_ms;
  return now_ms - r;
}

// Milliseconds from `now_ms` until its window ends (1 .. unit_ms).
inline int64_t until_window_end(int64_t now_ms, int64_t unit_ms) {
  return window_start(now_ms, unit_ms) + unit_ms - now_ms;
}

// Whole seconds a client should wait, rounded up: RateLimit-Reset and Retry-After never
// say 0 while the window still runs.
inline int64_t ceil_seconds(int64_t ms) { return ms <= 0 ? 0 : (ms + 999) / 1000; }

}  // namespace postern::throttle
