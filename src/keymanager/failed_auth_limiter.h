#pragma once
// Brute-force limiting: failed client authentications and password grants are counted per
// client id and per client IP in a fixed window; a key at `max` failures is refused (429)
// until its window ends, even with the right secret, so guessing costs the attacker time.
// Per process: with several replicas each counts its own (docs/keymanager.md).
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace postern::keymanager {

class FailedAuthLimiter {
 public:
  FailedAuthLimiter(unsigned max, int64_t window_seconds) : max_(max), window_(window_seconds) {}

  // True when `key` ("client:<id>", "ip:<addr>", "user:<name>") may try now.
  bool allowed(std::string_view key, int64_t now);
  void failed(std::string_view key, int64_t now);

 private:
  struct Window {
    int64_t start = 0;
    unsigned failures = 0;
  };
  void prune(int64_t now);

  unsigned max_;
  int64_t window_;
  int64_t last_prune_ = 0;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace postern::keymanager
