#include "filters/services.h"

#include <algorithm>

#include "filters/auth/introspector.h"
#include "filters/auth/jwt_authenticator.h"
#include "filters/auth/static_credentials.h"
#include "filters/backend_jwt/backend_jwt.h"

namespace postern::filters {
namespace {

// Claims a throttling key names (`key: claim:NAME`): authentication copies them onto the
// identity.
std::vector<std::string> claims_for_throttling(const config::ThrottlingConfig& throttling) {
  std::vector<std::string> claims;
  for (const auto* tiers : {&throttling.resource, &throttling.application, &throttling.subscription}) {
    for (const auto& [name, t] : *tiers) {
      if (t.key_by == config::ThrottleTier::KeyBy::kClaim &&
          std::find(claims.begin(), claims.end(), t.key_name) == claims.end())
        claims.push_back(t.key_name);
    }
  }
  return claims;
}

}  // namespace

std::shared_ptr<const FilterServices> build_services(ServiceInputs in, std::string& error) {
  auto s = std::make_shared<FilterServices>();
  s->snapshot = in.snapshot;
  s->slots = std::make_shared<SlotRegistry>();
  s->throttle_store = std::move(in.throttle_store);
  s->client_tls = std::move(in.client_tls);
  s->password_checker = in.password_checker;
  const auto& gw = in.snapshot->gateway;
  s->jwt = JwtAuthenticator::build(gw.security, in.workers, *s->slots, error, claims_for_throttling(gw.throttling));
  if (!s->jwt) return nullptr;
  s->credentials = std::make_shared<const StaticCredentials>(gw.security, *s->slots);
  if (!gw.security.client_cert_header.header.empty()) {
    s->client_cert_header = net::ClientCertVerifier::load(gw.security.client_cert_header.ca_file, error);
    if (!s->client_cert_header) return nullptr;
  }
  if (gw.security.backend_jwt.enabled) {
    s->backend_jwt = BackendJwtSigner::build(gw.security.backend_jwt, *s->slots, error);
    if (!s->backend_jwt) return nullptr;
  }
  if (gw.security.key_manager.enabled) {
    s->introspector = s->slots->declare<Introspector>(
        [snapshot = in.snapshot, tls = s->client_tls](const SlotEnv& env) {
          return std::make_unique<Introspector>(*env.loop, snapshot, tls);
        });
  }
  return s;
}

}  // namespace postern::filters
