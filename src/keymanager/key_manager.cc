#include "keymanager/key_manager.h"

#include "core/log.h"
#include "core/strings.h"
#include "keymanager/client_auth.h"
#include "keymanager/json_writer.h"
#include "keymanager/oauth_error.h"

namespace postern::keymanager {

namespace {

KmResponse not_found() {
  return json_response(404, R"({"error":"not_found","error_description":"endpoints: /oauth2/token /oauth2/introspect )"
                            R"(/oauth2/revoke /oauth2/jwks /oauth2/revocations /.well-known/openid-configuration"})");
}

// True for application/x-www-form-urlencoded in any case, with or without parameters
// (media types are case-insensitive, RFC 9110 §8.3.1).
bool is_form(std::string_view content_type) {
  std::string_view type = trim(content_type.substr(0, content_type.find(';')));
  return iequals(type, "application/x-www-form-urlencoded");
}

KmResponse method_not_allowed(std::string_view allowed) {
  KmResponse r = json_response(405, R"({"error":"method_not_allowed"})");
  r.headers.emplace_back("Allow", std::string(allowed));
  return r;
}

}  // namespace

KeyManager::KeyManager(const KmConfig& config, Store& store, const KeySealer& sealer, ApiCatalog catalog)
    : config_(config),
      store_(store),
      keys_(store, sealer,
            KeySchedule{config.signing_alg, config.key_lifetime.count(), config.publish_ahead.count(),
                        config.access_lifetime.count()}),
      catalog_(std::move(catalog)),
      limiter_(config.failed_auth_max, config.failed_auth_window.count()) {}

KmResponse KeyManager::handle(const KmRequest& req, int64_t now) {
  const std::string& p = req.path;
  if (p.starts_with("/admin/")) return admin(req, now);
  const bool post = req.method == "POST", get = req.method == "GET" || req.method == "HEAD";
  if (p == "/oauth2/token") return post ? token(req, now) : method_not_allowed("POST");
  if (p == "/oauth2/introspect") return post ? introspect(req, now) : method_not_allowed("POST");
  if (p == "/oauth2/revoke") return post ? revoke(req, now) : method_not_allowed("POST");
  if (!get)
    return p.starts_with("/oauth2/") || p.starts_with("/.well-known/") ? method_not_allowed("GET") : not_found();
  if (p == "/oauth2/jwks") {
    KmResponse r = json_response(200, keys_.jwks(now));
    // A cache may keep the set at most half of publish_ahead, so a new key is seen before it signs.
    const auto max_age = std::min<int64_t>(60, config_.publish_ahead.count() / 2);
    r.headers.emplace_back("Cache-Control", "max-age=" + std::to_string(max_age));
    return r;
  }
  if (p == "/oauth2/revocations") return revocations(req);
  if (p == "/.well-known/openid-configuration" || p == "/.well-known/oauth-authorization-server") return discovery();
  if (p == "/health") return json_response(200, R"({"status":"healthy"})");
  if (p == "/ready") {
    // Ready when the store answers (asked every time: the signer may be in memory) and a
    // key signs.
    try {
      store_.revocation_version();
      if (keys_.signer(now)) return json_response(200, R"({"status":"ready"})");
    } catch (const StoreError& e) {
      log::warn("keymanager: not ready: {}", e.what());
    }
    return json_response(503, R"({"status":"unavailable"})");
  }
  if (p == "/metrics") return metrics();
  return not_found();
}

std::optional<KmResponse> KeyManager::authenticate(const KmRequest& req, std::optional<Form>& form,
                                                   std::optional<Client>& client, int64_t now) {
  if (!is_form(req.header("content-type"))) {
    count_failure("invalid_request");
    return oauth_error(OAuthError::kInvalidRequest, "Content-Type must be application/x-www-form-urlencoded");
  }
  std::string why;
  form = Form::parse(req.body, why);
  if (!form) return count_failure("invalid_request"), oauth_error(OAuthError::kInvalidRequest, why);
  if (!form->repeated().empty()) {
    count_failure("invalid_request");
    return oauth_error(OAuthError::kInvalidRequest, "parameter '" + form->repeated() + "' sent more than once");
  }
  const std::string ip_key = "ip:" + req.client_ip;
  if (!limiter_.allowed(ip_key, now)) {
    count_failure("rate_limited");
    return oauth_error(OAuthError::kSlowDown, "too many failed authentications from this address; retry later");
  }
  ClientAuthResult auth = authenticate_client(store_, verified_, req, *form, {token_endpoint(), config_.issuer}, now);
  const std::string client_key = "client:" + auth.client_id;
  if (!auth.client_id.empty() && !limiter_.allowed(client_key, now)) {
    count_failure("rate_limited");
    return oauth_error(OAuthError::kSlowDown, "too many failed authentications for this client; retry later");
  }
  if (!auth.client) {
    limiter_.failed(ip_key, now);
    if (!auth.client_id.empty()) limiter_.failed(client_key, now);
    count_failure(error_code(auth.error));
    log::info("keymanager: client authentication failed from {} (client '{}'): {}", req.client_ip, auth.client_id,
              auth.why);
    return oauth_error(auth.error, auth.why, auth.used_basic);
  }
  client = std::move(auth.client);
  return std::nullopt;
}

KmResponse KeyManager::discovery() const {
  const std::string& iss = config_.issuer;
  std::string body = JsonObject()
                         .add("issuer", iss)
                         .add("token_endpoint", iss + "/oauth2/token")
                         .add("jwks_uri", iss + "/oauth2/jwks")
                         .add("introspection_endpoint", iss + "/oauth2/introspect")
                         .add("revocation_endpoint", iss + "/oauth2/revoke")
                         .add("revocation_list_endpoint", iss + "/oauth2/revocations")
                         .add_strings("grant_types_supported", {"client_credentials", "password", "refresh_token"})
                         .add_strings("token_endpoint_auth_methods_supported",
                                      {"client_secret_basic", "client_secret_post", "private_key_jwt"})
                         .add_strings("token_endpoint_auth_signing_alg_values_supported",
                                      {"RS256", "PS256", "ES256", "ES384", "EdDSA"})
                         .add_strings("id_token_signing_alg_values_supported",
                                      {std::string(jose::alg_name(config_.signing_alg))})
                         .add_strings("response_types_supported", {"token"})
                         .add_strings("subject_types_supported", {"public"})
                         .add_strings("scopes_supported", catalog_.all_scopes())
                         .str();
  return json_response(200, std::move(body));
}

KmResponse KeyManager::metrics() const {
  KmResponse r;
  r.content_type = "text/plain; version=0.0.4";
  r.body =
      "# HELP postern_km_tokens_issued_total Access tokens issued, by grant type.\n"
      "# TYPE postern_km_tokens_issued_total counter\n";
  for (const char* g : {"client_credentials", "password", "refresh_token"}) {
    auto it = issued_.find(g);
    r.body += std::string("postern_km_tokens_issued_total{grant=\"") + g + "\"} " +
              std::to_string(it == issued_.end() ? 0 : it->second) + "\n";
  }
  r.body +=
      "# HELP postern_km_failures_total Refused token, introspection and revocation requests, by reason.\n"
      "# TYPE postern_km_failures_total counter\n";
  for (const auto& [reason, n] : failures_)
    r.body += "postern_km_failures_total{reason=\"" + reason + "\"} " + std::to_string(n) + "\n";
  return r;
}

}  // namespace postern::keymanager
