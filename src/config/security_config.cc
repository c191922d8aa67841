// postern.yaml `security:` — trusted JWT issuers and gateway-wide authentication settings.
#include <algorithm>

#include "config/address.h"
#include "config/internal.h"
#include "core/strings.h"

namespace postern::config::detail {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kAlgorithms[] = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
                                            "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512"};

std::vector<std::string> read_string_list(Diagnostics& d, const Entry& e, std::string_view what) {
  std::vector<std::string> out;
  if (!e.value.IsSequence()) {
    d.error(e.value.IsNull() ? e.key : e.value, "'" + std::string(what) + "' must be a list of strings");
    return out;
  }
  for (const auto& item : e.value) {
    if (!item.IsScalar()) {
      d.error(item, "'" + std::string(what) + "' must contain only strings");
      continue;
    }
    out.push_back(item.Scalar());
  }
  return out;
}

// The key manager's revocation list: an http(s) URL polled every revocations_poll (at
// least 1s: each poll is a request to the key manager from every gateway).
void parse_revocations(Diagnostics& d, const MapReader& m, JwtIssuer& out) {
  const Entry* url = m.get("revocations_url");
  if (url) {
    if (auto s = read_string(d, *url, "revocations_url")) {
      Endpoint parsed;  // the same URL rules as backends (host, port), without resolving
      Status st = parse_endpoint_url(*s, parsed);
      if (!s->starts_with("http://") && !s->starts_with("https://"))
        st = Status::error("must start with http:// or https://");
      if (st) out.revocations_url = *s;
      else d.error(url->value, "'revocations_url': " + st.message() + " (e.g. https://km:9443/oauth2/revocations)");
    }
  }
  if (const Entry* e = m.get("revocations_poll")) {
    if (!url) d.error(e->key, "'revocations_poll' needs 'revocations_url' (the list to poll)");
    if (auto v = read_duration(d, *e, "revocations_poll")) {
      if (*v < std::chrono::seconds(1)) d.error(e->value, "'revocations_poll' must be at least 1s");
      else out.revocations_poll = *v;
    }
  }
}

// WSO2 Microgateway 3.x b7a.users hashes: 40 hex digits (SHA-1) or "@sha256:{64 hex}".
bool legacy_wso2_hash(std::string_view s) {
  auto all_hex = [](std::string_view h) {
    return std::all_of(h.begin(), h.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    });
  };
  if (s.size() == 40) return all_hex(s);
  constexpr std::string_view kPrefix = "@sha256:{";
  return s.size() == kPrefix.size() + 65 && s.starts_with(kPrefix) && s.back() == '}' &&
         all_hex(s.substr(kPrefix.size(), 64));
}

void parse_issuer(Diagnostics& d, const YAML::Node& node, const fs::path& project_abs, size_t index, JwtIssuer& out) {
  MapReader m(d, node, "security.issuers[" + std::to_string(index) + "]",
              std::vector<std::string_view>{"name", "issuer", "audiences", "algorithms", "certificate", "jwks_file",
                                            "jwks_url", "jwks_refresh", "jwks_min_refetch", "hmac_secret_env",
                                            "hmac_secret_file", "leeway", "validate_subscription", "consumer_key_claim",
                                            "claims", "revocations_url", "revocations_poll"});
  if (!m.ok()) return;
  out.source = d.location(node.Mark());
  out.name = "issuer-" + std::to_string(index);
  if (const Entry* e = m.get("name")) {
    if (auto s = read_string(d, *e, "name")) out.name = *s;
  }
  if (const Entry* e = m.get("claims")) {
    MapReader cm(d, e->value, "security.issuers[" + std::to_string(index) + "].claims",
                 std::vector<std::string_view>{"subject", "scopes", "consumer_key"});
    if (cm.ok()) {
      auto name_of = [&](const char* key, std::string& target) {
        if (const Entry* f = cm.get(key)) {
          if (auto s = read_string(d, *f, key)) {
            if (s->empty()) d.error(f->value, std::string("'") + key + "' must name a claim");
            else target = *s;
          }
        }
      };
      name_of("subject", out.subject_claim);
      name_of("scopes", out.scopes_claim);
      name_of("consumer_key", out.consumer_key_claim);
      if (cm.get("consumer_key") && m.get("consumer_key_claim"))
        d.error(e->value, "set the consumer key claim once: 'claims.consumer_key' or 'consumer_key_claim', not both");
    }
  }
  if (const Entry* e = m.get("issuer")) {
    if (auto s = read_string(d, *e, "issuer")) out.issuer = *s;
  } else {
    d.error(node, "an issuer needs 'issuer': the exact 'iss' value of its tokens");
  }
  if (const Entry* e = m.get("audiences")) out.audiences = read_string_list(d, *e, "audiences");
  if (const Entry* e = m.get("algorithms")) {
    out.algorithms = read_string_list(d, *e, "algorithms");
    for (const auto& a : out.algorithms) {
      if (std::find(std::begin(kAlgorithms), std::end(kAlgorithms), a) == std::end(kAlgorithms)) {
        std::vector<std::string_view> names(std::begin(kAlgorithms), std::end(kAlgorithms));
        d.error(e->value, "unknown JWT algorithm '" + a + "'" + did_you_mean(suggest(a, names)) +
                              " (allowed: RS256/384/512, PS256/384/512, ES256/384/512, EdDSA, HS256/384/512; "
                              "'none' is never accepted)");
      }
    }
  }
  int key_sources = 0;
  if (const Entry* e = m.get("certificate")) {
    ++key_sources;
    if (auto s = read_string(d, *e, "certificate")) {
      out.certificate = (project_abs / *s).lexically_normal();
      if (fs::path(*s).is_absolute()) out.certificate = *s;
      if (!fs::is_regular_file(out.certificate))
        d.error(e->value, "certificate file '" + *s + "' does not exist (a PEM certificate or public key)");
    }
  }
  if (const Entry* e = m.get("jwks_file")) {
    ++key_sources;
    if (auto s = read_string(d, *e, "jwks_file")) {
      out.jwks_file = fs::path(*s).is_absolute() ? fs::path(*s) : (project_abs / *s).lexically_normal();
      if (!fs::is_regular_file(out.jwks_file)) d.error(e->value, "JWKS file '" + *s + "' does not exist");
    }
  }
  if (const Entry* e = m.get("jwks_url")) {
    ++key_sources;
    if (auto s = read_string(d, *e, "jwks_url")) {
      if (!s->starts_with("http://") && !s->starts_with("https://")) {
        d.error(e->value, "'jwks_url' must be an http:// or https:// URL");
      } else {
        out.jwks_url = *s;
      }
    }
  }
  parse_revocations(d, m, out);
  if (const Entry* e = m.get("jwks_refresh")) {
    if (auto v = read_duration(d, *e, "jwks_refresh")) out.jwks_refresh = *v;
  }
  if (const Entry* e = m.get("jwks_min_refetch")) {
    if (auto v = read_duration(d, *e, "jwks_min_refetch")) out.jwks_min_refetch = *v;
  }
  if (const Entry* e = m.get("hmac_secret_env")) {
    ++key_sources;
    if (auto v = read_secret_env(d, *e, "the HMAC secret")) out.hmac_secret = *v;
  }
  if (const Entry* e = m.get("hmac_secret_file")) {
    ++key_sources;
    if (auto v = read_secret_file(d, *e, project_abs, "the HMAC secret")) out.hmac_secret = *v;
  }
  if (key_sources != 1) {
    d.error(node, "issuer '" + out.name +
                      "' needs exactly one key source: 'certificate' (PEM), 'jwks_file', "
                      "'jwks_url', 'hmac_secret_env' or 'hmac_secret_file'");
  }
  if (const Entry* e = m.get("leeway")) {
    if (auto v = read_duration(d, *e, "leeway")) out.leeway = *v;
  }
  if (const Entry* e = m.get("validate_subscription")) {
    if (auto b = read_bool(d, *e, "validate_subscription")) out.validate_subscription = *b;
  }
  if (const Entry* e = m.get("consumer_key_claim")) {
    if (auto s = read_string(d, *e, "consumer_key_claim")) out.consumer_key_claim = *s;
  }
}

}  // namespace

bool is_lower_hex(std::string_view s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void parse_users(Diagnostics& d, const Entry& e, SecurityConfig& out) {
  if (!e.value.IsSequence()) {
    d.error(e.value.IsNull() ? e.key : e.value,
            "'security.users' must be a list like [{username: alice, password_hash: \"$scrypt$...\"}]");
    return;
  }
  for (const auto& item : e.value) {
    MapReader m(d, item, "a security.users entry",
                std::vector<std::string_view>{"username", "password_hash", "scopes"});
    if (!m.ok()) continue;
    BasicUser u;
    u.source = d.location(item.Mark());
    if (const Entry* f = m.get("username")) {
      if (auto s = read_string(d, *f, "username")) u.username = *s;
    }
    if (u.username.empty() || u.username.find(':') != std::string::npos) {
      d.error(item, "a user needs a 'username' without ':'");
      continue;
    }
    if (const Entry* f = m.get("password_hash")) {
      if (auto s = read_string(d, *f, "password_hash")) {
        if (legacy_wso2_hash(*s)) {
          // WSO2 3.x's b7a.users hashes, so a migrated user keeps their password.
          d.warn(f->value, "user '" + u.username +
                               "' has a WSO2 3.x password hash (unsalted SHA-1 or SHA-256), which Postern accepts "
                               "for migration; anyone who reads this file can test guesses very fast, so replace it "
                               "with a hash from `postern hash-password` once the user can set a new password");
        } else if (!s->starts_with("$scrypt$")) {
          d.error(f->value,
                  "'password_hash' must be a hash made by `postern hash-password` ($scrypt$...), or a WSO2 3.x "
                  "hash (40 hex digits or @sha256:{64 hex digits}); passwords are never stored in clear");
          continue;
        }
        u.password_hash = *s;
      }
    } else {
      d.error(item, "user '" + u.username + "' needs a 'password_hash' (make one with `postern hash-password`)");
      continue;
    }
    if (const Entry* f = m.get("scopes")) u.scopes = read_string_list(d, *f, "scopes");
    for (const auto& other : out.users) {
      if (other.username == u.username) d.error(item, "user '" + u.username + "' is defined twice");
    }
    out.users.push_back(std::move(u));
  }
}

void parse_api_keys(Diagnostics& d, const Entry& e, SecurityConfig& out) {
  if (!e.value.IsSequence()) {
    d.error(e.value.IsNull() ? e.key : e.value,
            "'security.api_keys' must be a list like [{name: partner-a, sha256: <hex>}]");
    return;
  }
  for (const auto& item : e.value) {
    MapReader m(d, item, "a security.api_keys entry",
                std::vector<std::string_view>{"name", "sha256", "scopes", "apis", "application", "tier"});
    if (!m.ok()) continue;
    StaticApiKey k;
    k.source = d.location(item.Mark());
    if (const Entry* f = m.get("name")) {
      if (auto s = read_string(d, *f, "name")) k.name = *s;
    }
    if (k.name.empty()) {
      d.error(item, "an API key needs a 'name' (who it belongs to)");
      continue;
    }
    if (const Entry* f = m.get("sha256")) {
      if (auto s = read_string(d, *f, "sha256")) {
        std::string hex = *s;
        for (char& c : hex) c = ascii_lower(c);
        if (!is_lower_hex(hex, 64)) {
          d.error(f->value,
                  "'sha256' must be the 64 hex digits of SHA-256(key), e.g. from "
                  "`printf %s \"$KEY\" | sha256sum`; keys are never stored in clear");
          continue;
        }
        k.sha256_hex = hex;
      }
    } else {
      d.error(item, "API key '" + k.name + "' needs 'sha256': the SHA-256 of the key in hex");
      continue;
    }
    if (const Entry* f = m.get("scopes")) k.scopes = read_string_list(d, *f, "scopes");
    if (const Entry* f = m.get("apis")) k.apis = read_string_list(d, *f, "apis");
    if (const Entry* f = m.get("application")) {
      if (auto s = read_string(d, *f, "application")) k.application = *s;
    }
    if (const Entry* f = m.get("tier")) {
      if (auto s = read_string(d, *f, "tier")) k.tier = *s;
    }
    for (const auto& other : out.api_keys) {
      if (other.sha256_hex == k.sha256_hex)
        d.error(item, "API key '" + k.name + "' has the same key as '" + other.name + "'");
    }
    out.api_keys.push_back(std::move(k));
  }
}

void parse_backend_jwt(Diagnostics& d, const Entry& e, const fs::path& project_abs, BackendJwt& out) {
  MapReader m(d, e.value, "security.backend_jwt",
              std::vector<std::string_view>{"enabled", "header", "key", "issuer", "lifetime"});
  if (!m.ok()) return;
  out.enabled = true;
  out.source = d.location(e.value.Mark());
  if (const Entry* f = m.get("enabled")) {
    if (auto b = read_bool(d, *f, "backend_jwt.enabled")) out.enabled = *b;
  }
  if (const Entry* f = m.get("header")) {
    if (auto s = read_string(d, *f, "backend_jwt.header")) out.header = *s;
  }
  if (const Entry* f = m.get("issuer")) {
    if (auto s = read_string(d, *f, "backend_jwt.issuer")) out.issuer = *s;
  }
  if (const Entry* f = m.get("lifetime")) {
    if (auto v = read_duration(d, *f, "backend_jwt.lifetime")) out.lifetime = *v;
  }
  if (const Entry* f = m.get("key")) {
    if (auto s = read_string(d, *f, "backend_jwt.key")) {
      out.key_file = fs::path(*s).is_absolute() ? fs::path(*s) : (project_abs / *s).lexically_normal();
      if (!fs::is_regular_file(out.key_file)) d.error(f->value, "backend_jwt key file '" + *s + "' does not exist");
    }
  } else if (out.enabled) {
    d.error(e.value, "'security.backend_jwt' needs 'key': the PEM private key the gateway signs with");
  }
}

void parse_key_manager(Diagnostics& d, const Entry& e, const fs::path& project_abs, KeyManager& out) {
  MapReader m(d, e.value, "security.key_manager",
              std::vector<std::string_view>{"introspection_url", "client_id", "client_secret_env", "client_secret_file",
                                            "timeout", "cache_inactive", "cache_active_max", "validate_subscription"});
  if (!m.ok()) return;
  out.enabled = true;
  out.source = d.location(e.value.Mark());
  if (const Entry* f = m.get("introspection_url")) {
    if (auto s = read_string(d, *f, "introspection_url")) {
      if (!s->starts_with("http://") && !s->starts_with("https://"))
        d.error(f->value, "'introspection_url' must be an http:// or https:// URL");
      else out.introspection_url = *s;
    }
  } else {
    d.error(e.value, "'security.key_manager' needs 'introspection_url', e.g. https://km:9443/oauth2/introspect");
  }
  if (const Entry* f = m.get("client_id")) {
    if (auto s = read_string(d, *f, "client_id")) out.client_id = *s;
  }
  if (const Entry* f = m.get("client_secret_env")) {
    if (auto v = read_secret_env(d, *f, "the client secret")) out.client_secret = *v;
  }
  if (const Entry* f = m.get("client_secret_file")) {
    if (auto v = read_secret_file(d, *f, project_abs, "the client secret")) out.client_secret = *v;
  }
  if (const Entry* f = m.get("timeout")) {
    if (auto v = read_duration(d, *f, "key_manager.timeout")) out.timeout = *v;
  }
  if (const Entry* f = m.get("cache_inactive")) {
    if (auto v = read_duration(d, *f, "key_manager.cache_inactive")) out.cache_inactive = *v;
  }
  if (const Entry* f = m.get("cache_active_max")) {
    if (auto v = read_duration(d, *f, "key_manager.cache_active_max")) out.cache_active_max = *v;
  }
  if (const Entry* f = m.get("validate_subscription")) {
    if (auto b = read_bool(d, *f, "key_manager.validate_subscription")) out.validate_subscription = *b;
  }
}

void parse_security(Diagnostics& d, const Entry& e, const fs::path& project_abs, SecurityConfig& out) {
  MapReader m(d, e.value, "security",
              std::vector<std::string_view>{"issuers", "users", "api_keys", "backend_jwt", "key_manager",
                                            "client_certificate_header", "auth_header", "remove_credential_header",
                                            "token_cache_entries", "revoked_jtis"});
  if (!m.ok()) return;
  if (const Entry* f = m.get("users")) parse_users(d, *f, out);
  if (const Entry* f = m.get("api_keys")) parse_api_keys(d, *f, out);
  if (const Entry* f = m.get("backend_jwt")) parse_backend_jwt(d, *f, project_abs, out.backend_jwt);
  if (const Entry* f = m.get("key_manager")) parse_key_manager(d, *f, project_abs, out.key_manager);
  if (const Entry* f = m.get("client_certificate_header")) {
    MapReader cm(d, f->value, "security.client_certificate_header", std::vector<std::string_view>{"name", "ca_file"});
    if (cm.ok()) {
      if (const Entry* n = cm.get("name")) {
        if (auto s = read_string(d, *n, "client_certificate_header.name")) {
          out.client_cert_header.header = *s;
          for (char& c : out.client_cert_header.header) c = ascii_lower(c);
        }
      }
      if (const Entry* c = cm.get("ca_file")) {
        if (auto s = read_string(d, *c, "client_certificate_header.ca_file")) {
          out.client_cert_header.ca_file = fs::path(*s).is_absolute() ? fs::path(*s)
                                                                      : (project_abs / *s).lexically_normal();
          if (!fs::is_regular_file(out.client_cert_header.ca_file))
            d.error(c->value, "CA file '" + *s + "' does not exist");
        }
      }
      if (out.client_cert_header.header.empty() || out.client_cert_header.ca_file.empty())
        d.error(f->value, "'security.client_certificate_header' needs 'name' (the header) and 'ca_file'");
    }
  }
  if (const Entry* f = m.get("issuers")) {
    if (!f->value.IsSequence()) {
      d.error(f->value.IsNull() ? f->key : f->value,
              "'security.issuers' must be a list, e.g.\n  issuers:\n    - {name: idp, issuer: \"https://idp\", "
              "certificate: certs/idp.pem}");
    } else {
      size_t i = 0;
      for (const auto& item : f->value) {
        JwtIssuer iss;
        parse_issuer(d, item, project_abs, i++, iss);
        for (const auto& other : out.issuers) {
          if (!iss.issuer.empty() && other.issuer == iss.issuer)
            d.error(item, "issuer '" + iss.issuer + "' is configured twice (first at " + other.source + ")");
          else if (other.name == iss.name)
            d.error(item, "issuer name '" + iss.name + "' is used twice (first at " + other.source +
                              "): names tell issuers apart in logs, metrics and revocation lists");
        }
        out.issuers.push_back(std::move(iss));
      }
    }
  }
  if (const Entry* f = m.get("auth_header")) {
    if (auto s = read_string(d, *f, "security.auth_header")) out.auth_header = *s;
  }
  if (const Entry* f = m.get("remove_credential_header")) {
    if (auto b = read_bool(d, *f, "security.remove_credential_header")) out.remove_credential_header = *b;
  }
  if (const Entry* f = m.get("token_cache_entries")) {
    if (auto n = read_uint(d, *f, "security.token_cache_entries", 0, 10'000'000)) out.token_cache_entries = *n;
  }
  if (const Entry* f = m.get("revoked_jtis")) out.revoked_jtis = read_string_list(d, *f, "security.revoked_jtis");
}

}  // namespace postern::config::detail
