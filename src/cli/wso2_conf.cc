// micro-gw.conf → postern.yaml. Every leaf setting of the TOML is either used (marked
// consumed) or becomes a MigrationNote with the reason, so nothing is dropped silently.
#include "cli/wso2_conf.h"

#include <toml.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <sstream>

#include "cli/toml_text_check.h"

namespace postern::cli {

namespace {

// One setting: "keyManager.security.basic.username", "jwtTokenConfig[0].issuer".
struct Leaf {
  std::string path;
  const toml::value* value;
  unsigned line = 0, column = 0;
};

constexpr size_t kMaxInput = 1 << 20;

void flatten(const toml::value& v, const std::string& path, std::vector<Leaf>& out) {
  if (v.is_table()) {
    for (const auto& [k, child] : v.as_table()) flatten(child, path.empty() ? k : path + "." + k, out);
    return;
  }
  if (v.is_array() && !v.as_array().empty() && v.as_array().front().is_table()) {
    const auto& arr = v.as_array();
    for (size_t i = 0; i < arr.size(); ++i) flatten(arr[i], path + "[" + std::to_string(i) + "]", out);
    return;
  }
  auto loc = v.location();
  out.push_back(Leaf{path, &v, unsigned(loc.line()), unsigned(loc.column())});
}

// A YAML double-quoted scalar (JSON escaping is valid YAML).
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

class Converter {
 public:
  Converter(const toml::value& root, std::string_view file) : file_(file) {
    flatten(root, "", leaves_);
    std::sort(leaves_.begin(), leaves_.end(), [](const Leaf& a, const Leaf& b) {
      return a.line != b.line ? a.line < b.line : a.column < b.column;
    });
  }

  ConvertedConf run() {
    ConvertedConf out;
    listeners_and_limits();
    security();
    analytics();
    upstream();
    explain_the_rest();
    out.ok = true;
    out.postern_yaml = yaml_.str();
    out.files = std::move(files_);
    out.notes = std::move(notes_);
    return out;
  }

 private:
  // --- reading -------------------------------------------------------------------------
  const Leaf* find(std::string_view path) {
    for (const Leaf& l : leaves_) {
      if (l.path == path) return &l;
    }
    return nullptr;
  }
  // The leaf at `path`, marked consumed.
  const Leaf* take(std::string_view path) {
    const Leaf* l = find(path);
    if (l != nullptr) consumed_.insert(l->path);
    return l;
  }
  std::optional<std::string> str(std::string_view path) {
    const Leaf* l = take(path);
    if (l == nullptr) return std::nullopt;
    if (!l->value->is_string()) return note_bad(*l, "a string");
    return l->value->as_string().str;
  }
  std::optional<int64_t> integer(std::string_view path) {
    const Leaf* l = take(path);
    if (l == nullptr) return std::nullopt;
    if (!l->value->is_integer()) {
      note_bad(*l, "an integer");
      return std::nullopt;
    }
    return l->value->as_integer();
  }
  std::optional<bool> boolean(std::string_view path) {
    const Leaf* l = take(path);
    if (l == nullptr) return std::nullopt;
    if (!l->value->is_boolean()) {
      note_bad(*l, "true or false");
      return std::nullopt;
    }
    return l->value->as_boolean();
  }
  std::nullopt_t note_bad(const Leaf& l, std::string_view expected) {
    note(l, "must be " + std::string(expected) + "; not carried over");
    return std::nullopt;
  }
  std::string where(const Leaf& l) const {
    std::string section = l.path, key = l.path;
    size_t dot = l.path.rfind('.');
    if (dot != std::string::npos) {
      section = l.path.substr(0, dot);
      key = l.path.substr(dot + 1);
      return file_ + ":" + std::to_string(l.line) + ":" + std::to_string(l.column) + " [" + section + "] " + key;
    }
    return file_ + ":" + std::to_string(l.line) + ":" + std::to_string(l.column) + " " + key;
  }
  void note(const Leaf& l, std::string why) {
    consumed_.insert(l.path);
    notes_.push_back(MigrationNote{where(l), std::move(why)});
  }
  void note_at(std::string_view path, std::string why) {
    if (const Leaf* l = find(path)) note(*l, std::move(why));
  }
  // Leaves under `prefix` (a table path), e.g. every "b7a.users.NAME.*".
  std::vector<const Leaf*> under(std::string_view prefix) {
    std::vector<const Leaf*> out;
    for (const Leaf& l : leaves_) {
      if (l.path.size() > prefix.size() && l.path.starts_with(prefix) &&
          (l.path[prefix.size()] == '.' || l.path[prefix.size()] == '['))
        out.push_back(&l);
    }
    return out;
  }

  // --- writing -------------------------------------------------------------------------
  void listeners_and_limits();
  void security();
  void issuers(std::optional<int64_t> skew_ms, std::optional<bool> validate_default);
  void key_manager();
  void users();
  void analytics();
  void upstream();
  void explain_the_rest();

  std::string file_;
  std::vector<Leaf> leaves_;
  std::set<std::string> consumed_;
  std::vector<MigrationNote> notes_;
  std::map<std::string, std::string> files_;
  std::ostringstream yaml_;
  std::ostringstream sec_;  // the security: section, written once complete
};

void Converter::listeners_and_limits() {
  std::string host = str("listenerConfig.host").value_or("0.0.0.0");
  int64_t port = integer("listenerConfig.httpPort").value_or(9090);
  if (port < 1 || port > 65535) port = 9090;
  bool v6 = host.find(':') != std::string::npos;
  yaml_ << "# Converted from " << file_ << " by `postern import-wso2`; reference: docs/configuration.md\n"
        << "listeners:\n  - {name: http, address: " << quote((v6 ? "[" + host + "]" : host) + ":" + std::to_string(port))
        << "}\n"
        << "admin: {address: \"127.0.0.1:9091\"}\n"
        << "workers: auto\napis: apis/\n";
  std::ostringstream limits;
  if (auto n = integer("listenerConfig.maxUriLength"); n && *n >= 256) limits << "  max_uri_bytes: " << *n << "\n";
  if (auto n = integer("listenerConfig.maxHeaderSize"); n && *n >= 256)
    limits << "  max_header_bytes: " << *n << "\n";
  if (auto n = integer("listenerConfig.maxEntityBodySize"); n && *n > 0) limits << "  max_body_bytes: " << *n << "\n";
  if (auto n = integer("httpClients.poolConfig.maxIdleConnections"); n && *n >= 0 && *n <= 100000)
    limits << "  max_idle_upstream_per_endpoint: " << *n << "\n";
  if (!limits.str().empty()) yaml_ << "limits:\n" << limits.str();
}

void Converter::security() {
  std::ostringstream& s = sec_;
  if (auto h = str("authConfig.authorizationHeader")) s << "  auth_header: " << quote(*h) << "\n";
  if (auto b = boolean("authConfig.removeAuthHeaderFromOutMessage"))
    s << "  remove_credential_header: " << (*b ? "true" : "false") << "\n";
  if (auto n = integer("caching.tokenCacheCapacity"); n && *n >= 0 && *n <= 10'000'000)
    s << "  token_cache_entries: " << *n << "\n";
  auto skew = integer("server.timestampSkew");
  auto validate = boolean("security.validateSubscriptions");
  issuers(skew, validate);
  key_manager();
  users();
  if (!sec_.str().empty()) yaml_ << "security:\n" << sec_.str();
}

void Converter::issuers(std::optional<int64_t> skew_ms, std::optional<bool> validate_default) {
  std::ostringstream out;
  for (size_t i = 0; !under("jwtTokenConfig[" + std::to_string(i) + "]").empty(); ++i) {
    const std::string p = "jwtTokenConfig[" + std::to_string(i) + "].";
    auto iss = str(p + "issuer");
    auto jwks = str(p + "jwksURL");
    const Leaf* alias = find(p + "certificateAlias");
    if (!iss) continue;
    if (!jwks || !(jwks->starts_with("http://") || jwks->starts_with("https://"))) {
      const Leaf* at = alias ? alias : find(p + "issuer");
      note(*at, "issuer '" + *iss +
                    "' is verified with a truststore certificate" + (alias ? "" : " (no jwksURL)") +
                    ", which is not carried over: export it as PEM (keytool -exportcert -rfc -alias ALIAS "
                    "-keystore ballerinaTruststore.p12 > certs/idp.pem) and add the issuer to security.issuers "
                    "with certificate: certs/idp.pem; until then its tokens are refused");
      for (const Leaf* l : under(p.substr(0, p.size() - 1))) consumed_.insert(l->path);
      continue;
    }
    if (alias) note(*alias, "the truststore alias is not carried over: Postern verifies this issuer with its JWKS only");
    out << "    - name: " << quote("issuer-" + std::to_string(i)) << "\n"
        << "      issuer: " << quote(*iss) << "\n"
        << "      jwks_url: " << quote(*jwks) << "\n";
    if (auto aud = str(p + "audience"); aud && !aud->empty()) out << "      audiences: [" << quote(*aud) << "]\n";
    auto v = boolean(p + "validateSubscription");
    if (!v) v = validate_default;
    if (v) out << "      validate_subscription: " << (*v ? "true" : "false") << "\n";
    if (auto c = str(p + "consumerKeyClaim"); c && !c->empty()) out << "      consumer_key_claim: " << quote(*c) << "\n";
    if (skew_ms && *skew_ms > 0) out << "      leeway: " << *skew_ms << "\n";
  }
  if (!out.str().empty()) sec_ << "  issuers:\n" << out.str();
}

void Converter::key_manager() {
  auto url = str("keyManager.serverUrl");
  if (!url) return;
  std::string context = str("keyManager.tokenContext").value_or("oauth2");
  while (!url->empty() && url->back() == '/') url->pop_back();
  if (auto legacy = boolean("keyManager.enableLegacyMode"); legacy && *legacy) {
    note_at("keyManager.enableLegacyMode",
            "the SOAP key validation service (legacy mode) is not supported; Postern introspects opaque tokens "
            "with RFC 7662 at " + *url + "/" + context + "/introspect, which WSO2 API Manager 3.x also serves");
  }
  sec_ << "  key_manager:\n    introspection_url: " << quote(*url + "/" + context + "/introspect") << "\n";
  // WSO2's template spells the credentials' table [keymanager.security.basic] (lower-case m).
  auto basic = [&](const char* key) {
    auto v = str(std::string("keyManager.security.basic.") + key);
    return v ? v : str(std::string("keymanager.security.basic.") + key);
  };
  auto user = basic("username");
  auto password = basic("password");
  take("keyManager.security.basic.enabled");
  take("keymanager.security.basic.enabled");
  if (user) sec_ << "    client_id: " << quote(*user) << "\n";
  if (password) {
    // micro-gw.conf held it in clear; Postern keeps secrets out of postern.yaml.
    files_["secrets/key-manager-client-secret"] = *password + "\n";
    sec_ << "    client_secret_file: secrets/key-manager-client-secret\n";
  }
  std::vector<const Leaf*> oauth2 = under("keyManager.security.oauth2");
  for (const Leaf* l : under("keymanager.security.oauth2")) oauth2.push_back(l);
  for (const Leaf* l : oauth2) {
    note(*l, "the gateway authenticates to the key manager with HTTP Basic only (client_id + client secret); "
             "OAuth2 grants towards the key manager are not carried over");
  }
}

void Converter::users() {
  std::ostringstream out;
  std::set<std::string> seen;
  for (const Leaf* l : under("b7a.users")) {
    std::string rest = l->path.substr(std::string("b7a.users.").size());
    size_t dot = rest.rfind('.');
    if (dot == std::string::npos) continue;
    std::string name = rest.substr(0, dot);
    if (!seen.insert(name).second) continue;
    const std::string p = "b7a.users." + name + ".";
    auto password = str(p + "password");
    if (!password) continue;
    bool sha1 = password->size() == 40 &&
                std::all_of(password->begin(), password->end(), [](char c) { return std::isxdigit((unsigned char)c); });
    if (!sha1 && !password->starts_with("@sha256:")) {
      note(*find(p + "password"), "user '" + name +
                                      "' has a password that is not a WSO2 hash (SHA-1 hex or @sha256:{...}); hash "
                                      "it with `postern hash-password` and add the user to security.users");
      continue;
    }
    out << "    - username: " << quote(name) << "\n      password_hash: " << quote(*password) << "\n";
    if (const Leaf* sc = take(p + "scopes")) {
      std::vector<std::string> scopes;
      if (sc->value->is_string()) {
        std::istringstream words(sc->value->as_string().str);
        for (std::string w; words >> w;) {
          w.erase(std::remove(w.begin(), w.end(), ','), w.end());
          if (!w.empty()) scopes.push_back(w);
        }
      } else if (sc->value->is_array()) {
        for (const auto& v : sc->value->as_array()) {
          if (v.is_string()) scopes.push_back(v.as_string().str);
        }
      }
      out << "      scopes: [";
      for (size_t i = 0; i < scopes.size(); ++i) out << (i ? ", " : "") << quote(scopes[i]);
      out << "]\n";
    }
  }
  if (!out.str().empty()) sec_ << "  users:\n" << out.str();
}

void Converter::analytics() {
  auto enabled = boolean("analytics.fileUpload.enable");
  if (!enabled || !*enabled) return;
  yaml_ << "analytics:\n  enabled: true\n";
  if (auto ms = integer("analytics.fileUpload.rotatingPeriod"); ms && *ms > 0)
    yaml_ << "  rotate_age: " << *ms << "\n";
  for (const Leaf* l : under("analytics.fileUpload")) {
    if (consumed_.count(l->path) == 0)
      note(*l, "events are written locally and uploaded to `postern analytics collect` (analytics.upload.url), "
               "not to the WSO2 analytics server; set analytics.upload to upload them");
  }
}

void Converter::upstream() {
  if (auto off = boolean("httpClients.disableSslVerification"); off && *off) {
    yaml_ << "upstream_tls: {verify: false}\n";
  }
}

// Why a setting that was not used cannot be carried over, by the longest matching prefix.
struct Reason {
  std::string_view prefix;
  std::string_view why;
};
constexpr Reason kReasons[] = {
    {"listenerConfig.httpsPort",
     "the HTTPS listener needs a PEM certificate and key, which WSO2 keeps in a PKCS#12 keystore: export them "
     "(openssl pkcs12 -in ballerinaKeystore.p12 -nokeys -out certs/server.pem; -nocerts -nodes -out "
     "certs/server.key) and add a listener with tls: {cert, key}"},
    {"listenerConfig.key", "keystores are not read: Postern takes PEM files (listeners[].tls)"},
    {"listenerConfig.trust", "truststores are not read: Postern takes PEM files (listeners[].tls.client_ca)"},
    {"listenerConfig.tokenListenerPort",
     "the gateway has no token endpoint; tokens come from the key manager (postern keymanager or WSO2's)"},
    {"listenerConfig", "no Postern equivalent; not carried over"},
    {"jwtConfig", "WSO2 forwards the key manager's JWT; Postern signs its own backend JWT "
                  "(security.backend_jwt, with a PEM key)"},
    {"jwtTokenConfig", "claim mapping and remote claim retrieval are not supported; the backend JWT carries "
                       "WSO2's claim dialect"},
    {"tokenRevocationConfig", "revocation over JMS or etcd is not supported; Postern polls a key manager's "
                              "revocation list (security.issuers[].revocations_url) or takes revocations "
                              "through the admin API (POST /revoke)"},
    {"caching.tokenCacheExpiryTime", "a verified token is cached until its exp; there is no separate expiry"},
    {"caching", "the token cache evicts the oldest entry first; not configurable"},
    {"analytics.gRPCAnalytics", "streaming analytics is not supported; events go to local files and "
                                "`postern analytics collect`"},
    {"analytics", "not carried over: see docs/analytics.md for Postern's analytics settings"},
    {"throttlingConfig", "the Traffic Manager (global throttling over databridge and JMS) is not supported; "
                         "for fleet-wide limits use throttling.mode: redis (docs/throttling.md)"},
    {"validationConfig", "request and response schema validation is not implemented; requests reach the backend "
                         "unvalidated"},
    {"mutualSSLConfig.certificateHeaderName",
     "a client certificate in a header needs the CA to verify it: set security.client_certificate_header "
     "{name, ca_file} and forwarding.trusted_proxies"},
    {"mutualSSLConfig.api", "per-API client CA lists are not supported; one CA bundle per listener "
                            "(listeners[].tls.client_ca)"},
    {"mutualSSLConfig", "TLS versions, ciphers and client-certificate settings are per listener in Postern "
                        "(listeners[].tls.client_ca, client_auth); not carried over"},
    {"http2", "HTTP/2 is not supported; clients and backends speak HTTP/1.1"},
    {"httpClients", "not carried over: connections to backends are pooled per worker "
                    "(limits.max_idle_upstream_per_endpoint) and verified with upstream_tls"},
    {"jwtGeneratorConfig", "the backend JWT needs a PEM private key: set security.backend_jwt {key, issuer}"},
    {"apikey", "WSO2 API keys are JWTs: add their issuer to security.issuers with a PEM certificate; the gateway "
               "does not issue keys"},
    {"b7a.observability", "Prometheus metrics are served on the admin listener at /metrics; tracing uses W3C "
                          "traceparent"},
    {"apim.eventHub", "subscriptions are not pulled from an event hub; Postern validates them from the token's "
                      "subscribedAPIs claim (security.issuers[].validate_subscription)"},
    {"keyManager", "not carried over"},
    {"keymanager", "not carried over"},
};

// A feature flag set to false (`enable = false`, `enableRequestValidation = false`, …).
bool switched_off(const Leaf& l, std::string& key) {
  size_t dot = l.path.rfind('.');
  key = dot == std::string::npos ? l.path : l.path.substr(dot + 1);
  return l.value->is_boolean() && !l.value->as_boolean() && (key.starts_with("enable") || key.ends_with("Enabled"));
}

// True when `path` is a switched-off flag, or lies in a table whose `enable` is false:
// a feature that is off needs nothing carried over.
bool disabled_section(const std::vector<Leaf>& leaves, const std::string& path) {
  for (const Leaf& l : leaves) {
    std::string key;
    if (!switched_off(l, key)) continue;
    if (path == l.path) return true;
    std::string table = l.path.substr(0, l.path.size() - key.size());  // "a.b." or ""
    if ((key == "enable" || key == "enabled") && !table.empty() && path.starts_with(table)) return true;
  }
  return false;
}

void Converter::explain_the_rest() {
  for (const Leaf& l : leaves_) {
    if (consumed_.count(l.path) != 0 || disabled_section(leaves_, l.path)) continue;
    std::string_view why = "no Postern equivalent; not carried over";
    size_t best = 0;
    for (const Reason& r : kReasons) {
      if (l.path.starts_with(r.prefix) && r.prefix.size() > best) {
        best = r.prefix.size();
        why = r.why;
      }
    }
    notes_.push_back(MigrationNote{where(l), std::string(why)});
  }
  std::stable_sort(notes_.begin(), notes_.end(), [&](const MigrationNote& a, const MigrationNote& b) {
    auto line_of = [&](const MigrationNote& n) {
      size_t c = n.where.find(':', file_.size());
      return c == std::string::npos ? 0 : std::atoi(n.where.c_str() + c + 1);
    };
    return line_of(a) < line_of(b);
  });
}

}  // namespace

ConvertedConf convert_micro_gw_conf(std::string_view toml_text, std::string_view file_name) {
  ConvertedConf out;
  if (toml_text.size() > kMaxInput) {
    out.error = std::string(file_name) + ": larger than 1 MiB; not a micro-gw.conf";
    return out;
  }
  if (out.error = toml_text_problem(toml_text, file_name); !out.error.empty()) return out;
  toml::value root;
  try {
    std::istringstream in{std::string(toml_text)};
    root = toml::parse(in, std::string(file_name));
  } catch (const toml::exception& e) {
    const auto& loc = e.location();
    std::string what = e.what();
    // toml11's message spans lines (a source excerpt); its first line says what is wrong.
    if (size_t nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    if (what.starts_with("[error] ")) what.erase(0, 8);
    out.error = std::string(file_name) + ":" + std::to_string(loc.line()) + ":" + std::to_string(loc.column()) +
                ": not valid TOML: " + what;
    return out;
  } catch (const std::exception& e) {
    out.error = std::string(file_name) + ": not valid TOML: " + e.what();
    return out;
  }
  if (!root.is_table()) {
    out.error = std::string(file_name) + ": not a TOML document";
    return out;
  }
  return Converter(root, file_name).run();
}

}  // namespace postern::cli
