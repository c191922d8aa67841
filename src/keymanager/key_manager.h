#pragma once
// The key manager's endpoints as functions of a request (docs/keymanager.md):
//   POST /oauth2/token        client_credentials, password (legacy), refresh_token
//   POST /oauth2/introspect   RFC 7662, with WSO2's application / subscribedAPIs / keytype
//   POST /oauth2/revoke       RFC 7009
//   GET  /oauth2/jwks         the published signing keys
//   GET  /oauth2/revocations  revoked access-token ids, for gateways to poll (ETag)
//   GET  /.well-known/openid-configuration
//   GET  /health, /ready, /metrics
//   /admin/...                the management operations, for the admin bearer token
// One thread calls it (the server's), so it keeps no locks.
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "jose/claims.h"
#include "keymanager/api_catalog.h"
#include "keymanager/failed_auth_limiter.h"
#include "keymanager/form.h"
#include "keymanager/key_ring.h"
#include "keymanager/km_config.h"
#include "keymanager/km_http.h"
#include "keymanager/store.h"
#include "keymanager/verified_secrets.h"

namespace postern::keymanager {

class KeyManager {
 public:
  KeyManager(const KmConfig& config, Store& store, const KeySealer& sealer, ApiCatalog catalog);

  KmResponse handle(const KmRequest& req, int64_t now);
  // Key schedule upkeep (KeyRing::maintain); the server calls it every few seconds.
  void maintain(int64_t now) { keys_.maintain(now); }

  std::string token_endpoint() const { return config_.issuer + "/oauth2/token"; }

 private:
  KmResponse token(const KmRequest& req, int64_t now);
  KmResponse grant(const Client& client, const Form& form, int64_t now);
  KmResponse password_grant(const Client& client, const Form& form, const std::string& ip, int64_t now);
  KmResponse refresh_grant(const Client& client, const Form& form, int64_t now);
  // The access token (and, with a username, a refresh token of `family`) for `client`.
  KmResponse issue(const Client& client, const std::string& username, const std::string& scope,
                   const std::string& family, int64_t now, std::string_view grant_type);
  // The scopes of `requested` if the client's subscriptions allow them all; nullopt if not.
  std::optional<std::string> allowed_scope(const Client& client, std::string_view requested);
  KmResponse introspect(const KmRequest& req, int64_t now);
  KmResponse revoke(const KmRequest& req, int64_t now);
  KmResponse revocations(const KmRequest& req);
  KmResponse discovery() const;
  // /admin/...: the management operations for the admin bearer token (admin_api.cc).
  KmResponse admin(const KmRequest& req, int64_t now);
  KmResponse metrics() const;
  // Parses the form and authenticates the client; a response when either fails.
  std::optional<KmResponse> authenticate(const KmRequest& req, std::optional<Form>& form, std::optional<Client>& client,
                                         int64_t now);
  // A JWT access token this key manager signed, still valid; its claims, or nullopt.
  std::optional<jose::JwtClaims> verify_access_token(std::string_view token, int64_t now);
  void count_failure(std::string_view reason) { ++failures_[std::string(reason)]; }

  const KmConfig& config_;
  Store& store_;
  KeyRing keys_;
  ApiCatalog catalog_;
  FailedAuthLimiter limiter_;
  VerifiedSecrets verified_;
  std::map<std::string, uint64_t> issued_;    // grant type -> tokens issued
  std::map<std::string, uint64_t> failures_;  // reason -> failed requests
};

}  // namespace postern::keymanager
