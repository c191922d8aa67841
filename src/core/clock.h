#pragma once
// Injectable clock: production code reads time through a Clock so tests can control it.
#include <chrono>
#include <cstdint>

namespace postern {

using SteadyTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SteadyTime steady_now() const = 0;
  // Wall-clock time in microseconds since the Unix epoch (logs, JWT exp checks).
  virtual int64_t unix_micros() const = 0;
};

class SystemClock final : public Clock {
 public:
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
  int64_t unix_micros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  static const SystemClock& instance() {
    static const SystemClock clock;
    return clock;
  }
};

}  // namespace postern
