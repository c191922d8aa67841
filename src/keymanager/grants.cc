// The token endpoint's grants (RFC 6749 §4.3, §4.4, §6) and the access token they issue.
#include <algorithm>
#include <set>
#include <sstream>

#include "core/log.h"
#include "core/strings.h"
#include "jose/signer.h"
#include "keymanager/json_writer.h"
#include "keymanager/key_manager.h"
#include "keymanager/oauth_error.h"
#include "keymanager/secret_hash.h"

namespace postern::keymanager {

namespace {

std::vector<std::string> split_scope(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string subscribed_apis_json(const std::vector<Subscription>& subs) {
  std::string out = "[";
  for (const auto& s : subs) {
    out += out.size() > 1 ? "," : "";
    out += JsonObject()
               .add("name", s.api_name)
               .add("version", s.api_version)
               .add("subscriptionTier", s.tier)
               .add("publisher", "postern")
               .str();
  }
  return out + "]";
}

// The scope of a refreshed token: the granted one when the request names none, else the
// requested one if it is not wider (RFC 6749 §6); nullopt, with the first scope that was
// not granted in `bad`, when it is.
std::optional<std::string> refreshed_scope(const std::string& granted, const Form& form, std::string& bad) {
  if (!form.has("scope")) return granted;
  std::vector<std::string> have = split_scope(granted);
  for (const auto& s : split_scope(form.get("scope"))) {
    if (std::find(have.begin(), have.end(), s) == have.end()) {
      bad = s;
      return std::nullopt;
    }
  }
  return std::string(form.get("scope"));
}

}  // namespace

KmResponse KeyManager::token(const KmRequest& req, int64_t now) {
  std::optional<Form> form;
  std::optional<Client> client;
  if (auto refused = authenticate(req, form, client, now)) return *refused;
  std::string_view grant_type = form->get("grant_type");
  if (grant_type.empty()) {
    count_failure("invalid_request");
    return oauth_error(OAuthError::kInvalidRequest, "grant_type is required");
  }
  if (grant_type == "password") return password_grant(*client, *form, req.client_ip, now);
  if (grant_type == "refresh_token") return refresh_grant(*client, *form, now);
  if (grant_type == "client_credentials") {
    auto scope = allowed_scope(*client, form->get("scope"));
    if (!scope) {
      count_failure("invalid_scope");
      return oauth_error(OAuthError::kInvalidScope, "a requested scope is not declared by the subscribed APIs");
    }
    return issue(*client, "", *scope, "", now, grant_type);
  }
  count_failure("unsupported_grant_type");
  return oauth_error(OAuthError::kUnsupportedGrantType,
                     "grant_type must be client_credentials, password or refresh_token");
}

KmResponse KeyManager::password_grant(const Client& client, const Form& form, const std::string& ip, int64_t now) {
  std::string username(form.get("username"));
  if (username.empty() || !form.has("password")) {
    count_failure("invalid_request");
    return oauth_error(OAuthError::kInvalidRequest, "the password grant needs username and password");
  }
  const std::string user_key = "user:" + username;
  if (!limiter_.allowed(user_key, now)) {
    count_failure("rate_limited");
    return oauth_error(OAuthError::kSlowDown, "too many failed sign-ins for this user; retry later");
  }
  auto user = store_.get_user(username);
  static const std::string kDummy = hash_secret("postern-unknown-user");
  bool ok = verify_secret(form.get("password"), user ? user->password_hash : kDummy);
  if (!user || !ok) {
    limiter_.failed(user_key, now);
    limiter_.failed("ip:" + ip, now);
    count_failure("invalid_grant");
    return oauth_error(OAuthError::kInvalidGrant, "wrong username or password");
  }
  auto scope = allowed_scope(client, form.get("scope"));
  if (!scope) {
    count_failure("invalid_scope");
    return oauth_error(OAuthError::kInvalidScope, "a requested scope is not declared by the subscribed APIs");
  }
  return issue(client, username, *scope, random_token(16), now, "password");
}

KmResponse KeyManager::refresh_grant(const Client& client, const Form& form, int64_t now) {
  std::string_view presented = form.get("refresh_token");
  if (presented.empty()) {
    count_failure("invalid_request");
    return oauth_error(OAuthError::kInvalidRequest, "refresh_token is required");
  }
  const std::string hash = sha256_hex(presented);
  // A request that is going to be refused must not use the token up: the client's next
  // try would look like reuse and revoke the family. So the scope is checked before the
  // token is consumed, when the token is this client's and still usable (a reused or
  // foreign token goes on to consume_refresh, which revokes its family).
  std::string bad_scope;
  if (auto stored = store_.find_refresh(hash); stored && !stored->used && stored->expires_at > now &&
                                               stored->client_id == client.client_id &&
                                               !refreshed_scope(stored->scope, form, bad_scope)) {
    count_failure("invalid_scope");
    return oauth_error(OAuthError::kInvalidScope, "scope '" + bad_scope + "' was not granted to this refresh token");
  }
  ConsumeResult consumed = store_.consume_refresh(hash, now);
  if (consumed.status != ConsumeResult::kOk) {
    count_failure("invalid_grant");
    const char* why = consumed.status == ConsumeResult::kReused
                          ? "refresh token already used: every token of its family is revoked"
                      : consumed.status == ConsumeResult::kExpired ? "refresh token expired"
                                                                   : "unknown or revoked refresh token";
    if (consumed.status == ConsumeResult::kReused)
      log::warn("keymanager: refresh token reuse for client {}: family revoked", client.client_id);
    return oauth_error(OAuthError::kInvalidGrant, why);
  }
  const RefreshToken& old = consumed.token;
  if (old.client_id != client.client_id) {
    store_.revoke_refresh_family(old.family_id);
    count_failure("invalid_grant");
    return oauth_error(OAuthError::kInvalidGrant, "refresh token was issued to another client");
  }
  // RFC 6749 §6: a narrower scope may be asked for, never a wider one (checked again on
  // the token as consumed).
  auto scope = refreshed_scope(old.scope, form, bad_scope);
  if (!scope) {
    count_failure("invalid_scope");
    return oauth_error(OAuthError::kInvalidScope, "scope '" + bad_scope + "' was not granted to this refresh token");
  }
  return issue(client, old.username, *scope, old.family_id, now, "refresh_token");
}

std::optional<std::string> KeyManager::allowed_scope(const Client& client, std::string_view requested) {
  std::vector<std::string> wanted = split_scope(requested);
  if (wanted.empty()) return std::string();
  std::set<std::string> allowed;
  for (const auto& sub : store_.subscriptions_of(client.application_id)) {
    auto s = catalog_.scopes_of(sub.api_name, sub.api_version);
    allowed.insert(s.begin(), s.end());
  }
  std::string out;
  std::set<std::string> seen;
  for (const auto& w : wanted) {
    if (!allowed.count(w)) return std::nullopt;
    if (seen.insert(w).second) out += (out.empty() ? "" : " ") + w;
  }
  return out;
}

KmResponse KeyManager::issue(const Client& client, const std::string& username, const std::string& scope,
                             const std::string& family, int64_t now, std::string_view grant_type) {
  auto app = store_.get_application(client.application_id);
  if (!app) {
    count_failure("invalid_client");
    return oauth_error(OAuthError::kInvalidClient, "the client's application no longer exists");
  }
  const jose::Key* key = keys_.signer(now);
  if (!key) {
    count_failure("server_error");
    KmResponse r;
    r.status = 503;
    r.body = R"({"error":"temporarily_unavailable","error_description":"no signing key"})";
    return r;
  }
  const int64_t exp = now + config_.access_lifetime.count();
  JsonObject claims;
  claims.add("iss", config_.issuer).add("sub", username.empty() ? app->owner : username);
  claims.add_strings("aud", config_.audiences).add("iat", now).add("nbf", now).add("exp", exp);
  claims.add("jti", random_token(16)).add("client_id", client.client_id).add("azp", client.client_id);
  claims.add("consumerKey", client.client_id).add("keytype", client.key_type);
  if (!scope.empty()) claims.add("scope", scope);
  claims.add_raw(
      "application",
      JsonObject().add("id", app->id).add("name", app->name).add("tier", app->tier).add("owner", app->owner).str());
  claims.add_raw("subscribedAPIs", subscribed_apis_json(store_.subscriptions_of(app->id)));
  std::string token;
  if (!jose::sign(jose::default_signing_alg(*key).value_or(config_.signing_alg), *key, "\"typ\":\"at+jwt\"",
                  claims.str(), token)) {
    count_failure("server_error");
    KmResponse r;
    r.status = 500;
    r.body = R"({"error":"server_error","error_description":"signing failed"})";
    return r;
  }
  JsonObject body;
  body.add("access_token", token).add("token_type", "Bearer").add("expires_in", config_.access_lifetime.count());
  if (!scope.empty()) body.add("scope", scope);
  if (!family.empty()) {
    RefreshToken rt;
    std::string refresh = random_token(32);
    rt.token_hash = sha256_hex(refresh);
    rt.family_id = family;
    rt.client_id = client.client_id;
    rt.username = username;
    rt.scope = scope;
    rt.expires_at = now + config_.refresh_lifetime.count();
    store_.store_refresh(rt);
    body.add("refresh_token", refresh);
  }
  ++issued_[std::string(grant_type)];
  KmResponse r;
  r.body = body.str();
  add_no_store(r);
  return r;
}

}  // namespace postern::keymanager
