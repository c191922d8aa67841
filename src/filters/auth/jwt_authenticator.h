#pragma once
// Verifies bearer JWTs against the configured issuers, with a verified-token cache per
// worker. One per runtime (config generation); shared by every route that accepts OAuth2.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "config/snapshot.h"
#include "filters/auth/revocation_list.h"
#include "filters/auth/token_cache.h"
#include "filters/identity.h"
#include "filters/worker_slots.h"
#include "jose/claims.h"
#include "jose/key_set.h"

namespace postern::filters {

class JwtAuthenticator {
 public:
  // Loads every issuer's keys (PEM, JWKS file, HMAC secret). Fails with a message naming
  // the issuer and its postern.yaml location when a key cannot be used.
  // `capture_claims`: claims copied into Identity::claims (throttling keys by claim).
  // The verified-token cache is a per-worker slot declared in `slots`.
  static std::shared_ptr<JwtAuthenticator> build(const config::SecurityConfig& security, unsigned workers,
                                                 SlotRegistry& slots, std::string& error,
                                                 std::vector<std::string> capture_claims = {});

  enum class Outcome : uint8_t {
    kOk,
    kInvalid,  // 401 / 900901
    kExpired,  // 401 / 900903
  };
  struct Result {
    Outcome outcome = Outcome::kInvalid;
    std::shared_ptr<const Identity> identity;
    std::string_view reason;  // for logs: "bad_signature", "unknown_issuer", "revoked" …
  };

  // Uses the calling worker's own token cache (no locks).
  Result authenticate(std::string_view token, WorkerSlots& slots, int64_t now) const;

  bool has_issuers() const { return !issuers_.empty(); }

  // --- remote JWKS (jwks_url): fetched on the main thread, read by workers ---
  size_t issuer_count() const { return issuers_.size(); }
  const std::string& jwks_url(size_t issuer) const { return issuers_[issuer]->jwks_url; }
  const std::string& issuer_name(size_t issuer) const { return issuers_[issuer]->name; }
  // Replaces an issuer's keys; requests verified from now on use them.
  void set_keys(size_t issuer, std::shared_ptr<const jose::KeySet> keys) const;
  std::shared_ptr<const jose::KeySet> keys(size_t issuer) const { return issuers_[issuer]->keys.load(); }
  // Called (from any worker) when a token names a kid the issuer's keys lack, at most once
  // per issuer per jwks_min_refetch; the server answers by refetching the JWKS.
  void set_refetch_hook(std::function<void(size_t issuer)> hook) { refetch_hook_ = std::move(hook); }

  // Token ids revoked at run time (admin API). Each worker has its own set, so a request
  // reads it without a lock: call from worker `worker`'s thread (the server posts it
  // there), or from the main thread before the runtime is published.
  void add_runtime_revoked(unsigned worker, const std::string& jti) const;
  // Replaces the revocation list polled for the issuer whose `iss` is `iss` (its
  // revocations_url) on worker `worker`; call like add_runtime_revoked. The list is shared
  // by every worker and never changes, so each worker swaps a pointer and reads it without
  // a lock. A list for an issuer that has no revocations_url in this runtime is ignored.
  void set_polled_revoked(unsigned worker, std::string_view iss, std::shared_ptr<const RevokedJtis> jtis) const;

 private:
  struct Issuer {
    std::string name;
    // Swapped whole by set_keys(); read only on a token-cache miss. (std::atomic of a
    // shared_ptr takes a tiny internal lock: acceptable off the cache-hit path.)
    mutable std::atomic<std::shared_ptr<const jose::KeySet>> keys;
    jose::AlgSet allowed;
    jose::ClaimPolicy policy;
    bool validate_subscription = false;
    std::string consumer_key_claim;
    std::string subject_claim;  // "" = sub
    std::string scopes_claim;   // "" = scope + scp
    std::string jwks_url;
    int64_t min_refetch_ms = 30'000;
    mutable std::atomic<int64_t> last_refetch_ms{0};
  };
  void maybe_request_refetch(size_t index, const Issuer& iss) const;
  bool revoked(const Identity& id, unsigned worker) const;
  std::vector<std::unique_ptr<Issuer>> issuers_;
  std::function<void(size_t)> refetch_hook_;
  std::unordered_set<std::string> revoked_jtis_;
  Slot<TokenCache> cache_;  // verified tokens, per worker
  // One run-time revocation set per worker, each touched only by its worker's thread. Not
  // a slot: it is state the admin API pushes, copied into every new runtime by the server
  // so revocations survive reloads.
  mutable std::vector<std::unordered_set<std::string>> runtime_revoked_;
  // The polled lists: polled_revoked_[worker][k] belongs to issuer polled_issuers_[k] (the
  // issuers with a revocations_url; usually none, so the check costs nothing). Like the
  // run-time set it is per worker and copied into every new runtime by the server.
  std::vector<size_t> polled_issuers_;
  mutable std::vector<std::vector<std::shared_ptr<const RevokedJtis>>> polled_revoked_;
  std::vector<std::string> capture_claims_;
};

}  // namespace postern::filters
