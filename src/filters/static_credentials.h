#pragma once
// Credentials declared in postern.yaml: HTTP Basic users (salted slow hashes) and static
// API keys (SHA-256). Verifying a Basic password is deliberately slow, so successful
// checks are cached per worker, keyed by SHA-256(user:password), for a few minutes.
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/snapshot.h"
#include "filters/filter.h"
#include "filters/token_cache.h"

namespace postern::filters {

class StaticCredentials {
 public:
  StaticCredentials(const config::SecurityConfig& security, unsigned workers);

  struct Result {
    bool ok = false;
    std::shared_ptr<const Identity> identity;
    std::string_view reason;  // "unknown_user", "bad_password", "unknown_api_key", "basic_busy"
    bool busy = false;        // the worker's password-check budget is spent: answer 503
    const config::StaticApiKey* api_key = nullptr;  // for the per-API check
  };
  // `basic_value` is the part after "Basic " (base64 of user:password).
  Result check_basic(std::string_view basic_value, unsigned worker, int64_t now) const;
  Result check_api_key(std::string_view key) const;

  bool has_users() const { return !users_.empty(); }
  bool has_api_keys() const { return !keys_.empty(); }

  static constexpr int64_t kBasicCacheSeconds = 300;
  // A password check costs ~0.2 s of CPU on the worker (scrypt, by design), so each worker
  // runs at most this many per second; more get 503 instead of stalling every request.
  static constexpr int kBasicChecksPerSecond = 4;

 private:
  std::unordered_map<std::string, config::BasicUser> users_;  // by username
  std::unordered_map<std::string, std::pair<config::StaticApiKey, std::shared_ptr<const Identity>>>
      keys_;  // by SHA-256 hex
  mutable std::vector<std::unique_ptr<TokenCache>> basic_caches_;  // one per worker
  struct Budget {
    int64_t second = 0;
    int used = 0;
  };
  mutable std::vector<Budget> budgets_;  // one per worker
};

}  // namespace postern::filters
