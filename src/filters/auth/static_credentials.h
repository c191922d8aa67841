#pragma once
// Credentials declared in postern.yaml: HTTP Basic users (salted slow hashes) and static
// API keys (SHA-256). Verifying a Basic password is deliberately slow, so it never runs on
// a worker: lookup_basic() answers from the per-worker cache of verified credentials (keyed
// by SHA-256(user:password), a few minutes) or hands back a PasswordCheck for the
// password-check threads; finish_basic() then caches a success on the worker.
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/snapshot.h"
#include "filters/auth/password_check.h"
#include "filters/auth/token_cache.h"
#include "filters/identity.h"
#include "filters/worker_slots.h"

namespace postern::filters {

class StaticCredentials {
 public:
  StaticCredentials(const config::SecurityConfig& security, SlotRegistry& slots);

  struct Result {
    bool ok = false;
    std::shared_ptr<const Identity> identity;
    std::string_view reason;               // "malformed_basic", "unknown_user", "bad_password", "unknown_api_key"
    std::shared_ptr<PasswordCheck> check;  // not cached yet: verify this off the worker
    const config::StaticApiKey* api_key = nullptr;  // for the per-API check
  };
  // `basic_value` is the part after "Basic " (base64 of user:password). ok with an identity
  // (verified before), not ok with a reason (malformed), or `check` set.
  Result lookup_basic(std::string_view basic_value, WorkerSlots& slots, int64_t now) const;
  // Runs the slow hash (any thread).
  static bool verify(const PasswordCheck& check);
  // On the worker, after verify(): the identity (cached) or the reason for refusing.
  Result finish_basic(const PasswordCheck& check, bool matched, WorkerSlots& slots, int64_t now) const;
  Result check_api_key(std::string_view key) const;

  bool has_users() const { return !users_.empty(); }
  bool has_api_keys() const { return !keys_.empty(); }

  static constexpr int64_t kBasicCacheSeconds = 300;

 private:
  std::unordered_map<std::string, config::BasicUser> users_;  // by username
  std::unordered_map<std::string, std::pair<config::StaticApiKey, std::shared_ptr<const Identity>>>
      keys_;                      // by SHA-256 hex
  Slot<TokenCache> basic_cache_;  // verified Basic credentials, per worker
};

}  // namespace postern::filters
