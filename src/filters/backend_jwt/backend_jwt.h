#pragma once
// Tells the backend who the caller is with a JWT signed by the gateway (WSO2's
// X-JWT-Assertion): iss, sub, iat, exp (never past the caller's own token), scope,
// keytype, consumer key, the application, and the WSO2 claim dialect
// (http://wso2.org/claims/...). Signing costs a private-key operation, so each worker
// keeps the assertion per identity until shortly before it expires.
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/snapshot.h"
#include "filters/filter.h"
#include "filters/services.h"
#include "jose/alg.h"
#include "jose/key.h"

namespace postern::filters {

class BackendJwtSigner {
 public:
  // Signed assertions are kept per worker in a slot declared in `slots`.
  static std::shared_ptr<BackendJwtSigner> build(const config::BackendJwt& cfg, SlotRegistry& slots,
                                                 std::string& error);
  // With a key already loaded (build() checks that it can sign with `alg`).
  static std::shared_ptr<BackendJwtSigner> with_key(jose::Key key, jose::Alg alg, const config::BackendJwt& cfg,
                                                    SlotRegistry& slots);
  // The assertion for `id` (signed now or cached); empty when signing failed.
  const std::string& assertion(const std::shared_ptr<const Identity>& id, WorkerSlots& slots, int64_t now) const;
  const std::string& header() const { return header_; }
  std::optional<std::string> public_jwk() const { return key_.to_public_jwk(); }

 private:
  struct Entry {
    std::shared_ptr<const Identity> identity;  // keeps the key pointer valid
    std::string token;
    int64_t refresh_after = 0;
  };
  std::string header_;
  std::string issuer_;
  int64_t lifetime_s_ = 900;
  jose::Key key_;
  jose::Alg alg_ = jose::Alg::kRS256;
  using Cache = std::unordered_map<const Identity*, Entry>;
  Slot<Cache> cache_;
};

class BackendJwtFilter final : public Filter {
 public:
  explicit BackendJwtFilter(std::shared_ptr<const BackendJwtSigner> signer) : signer_(std::move(signer)) {}
  static std::shared_ptr<const Filter> for_route(const FilterServices& services, const config::Route& route);
  std::string_view name() const override { return "backend_jwt"; }
  // Sets the assertion for authenticated callers; drops a client's copy on every route.
  FilterStatus on_request(RequestContext& ctx) const override;

 private:
  std::shared_ptr<const BackendJwtSigner> signer_;
};

}  // namespace postern::filters
