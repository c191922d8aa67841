// Introspection (RFC 7662), revocation (RFC 7009) and the revocation list gateways poll.
#include <charconv>

#include "jose/jwt.h"
#include "jose/verifier.h"
#include "keymanager/json_writer.h"
#include "keymanager/key_manager.h"
#include "keymanager/oauth_error.h"
#include "keymanager/secret_hash.h"

namespace postern::keymanager {

std::optional<jose::JwtClaims> KeyManager::verify_access_token(std::string_view token, int64_t now) {
  jose::DecodedJwt jwt;
  if (jose::decode(token, jwt) != jose::JwtError::kNone || !jwt.header.kid) return std::nullopt;
  const jose::Key* key = keys_.find(*jwt.header.kid, now);
  if (!key || !jose::verify(jwt, *key)) return std::nullopt;
  const auto& c = jwt.claims;
  if (!c.iss || *c.iss != config_.issuer || !c.exp || *c.exp <= now || !c.jti) return std::nullopt;
  return jwt.claims;
}

KmResponse KeyManager::introspect(const KmRequest& req, int64_t now) {
  std::optional<Form> form;
  std::optional<Client> caller;
  if (auto refused = authenticate(req, form, caller, now)) return *refused;
  if (!form->has("token")) {
    count_failure("invalid_request");
    return oauth_error(OAuthError::kInvalidRequest, "token is required");
  }
  KmResponse r;
  add_no_store(r);
  auto claims = verify_access_token(form->get("token"), now);
  // Inactive: not ours, expired, revoked, or its client (or application) is gone. Refresh
  // tokens are never reported active (only their client may use them, at /oauth2/token).
  const std::string client_id = claims && claims->azp ? *claims->azp : "";
  if (!claims || store_.is_revoked(*claims->jti) || !store_.get_client(client_id) ||
      !store_.get_application(store_.get_client(client_id)->application_id)) {
    r.body = R"({"active":false})";
    return r;
  }
  // The token's own claims (WSO2's application, subscribedAPIs, keytype among them), with
  // RFC 7662's members in front.
  std::string_view payload = claims->payload_json;
  r.body = R"({"active":true,"token_type":"Bearer",)" + std::string(payload.substr(1));
  return r;
}

KmResponse KeyManager::revoke(const KmRequest& req, int64_t now) {
  std::optional<Form> form;
  std::optional<Client> caller;
  if (auto refused = authenticate(req, form, caller, now)) return *refused;
  std::string_view token = form->get("token");
  if (token.empty()) {
    count_failure("invalid_request");
    return oauth_error(OAuthError::kInvalidRequest, "token is required");
  }
  KmResponse ok;
  add_no_store(ok);
  ok.body = "{}";
  if (auto claims = verify_access_token(token, now)) {
    if (!claims->azp || *claims->azp != caller->client_id) {
      count_failure("invalid_request");
      return oauth_error(OAuthError::kInvalidRequest, "the token was not issued to this client");
    }
    store_.add_revocation(Revocation{*claims->jti, *claims->exp, now});
    return ok;
  }
  // A refresh token: revoking it revokes its family (RFC 7009 §2.1 allows it, and a refresh
  // token that is revoked must not leave its siblings usable). Only its own client may.
  if (auto found = store_.find_refresh(sha256_hex(token))) {
    if (found->client_id != caller->client_id) {
      count_failure("invalid_request");
      return oauth_error(OAuthError::kInvalidRequest, "the token was not issued to this client");
    }
    store_.revoke_refresh_family(found->family_id);
  }
  // RFC 7009 §2.2: an invalid or unknown token is not an error.
  return ok;
}

KmResponse KeyManager::revocations(const KmRequest& req) {
  const std::string etag = "\"" + std::to_string(store_.revocation_version()) + "\"";
  KmResponse r;
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("Cache-Control", "no-cache");
  if (req.header("if-none-match") == etag) {
    r.status = 304;
    return r;
  }
  std::string list = "[";
  for (const auto& rev : store_.revocations_since(0)) {
    list += list.size() > 1 ? "," : "";
    list += JsonObject().add("jti", rev.jti).add("exp", rev.expires_at).str();
  }
  r.body = JsonObject().add("version", store_.revocation_version()).add_raw("revoked", list + "]").str();
  return r;
}

}  // namespace postern::keymanager
