// One OpenAPI 3.0/3.1 document (+ x-wso2-* / x-postern-* extensions) → Api + routes.
#include <algorithm>
#include <map>
#include <span>

#include "config/address.h"
#include "config/internal.h"
#include "core/strings.h"

namespace postern::config::detail {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kWso2 = "x-wso2-";
constexpr std::string_view kPostern = "x-postern-";

enum Level : int { kApiLevel = 1, kPathLevel = 2, kOpLevel = 4 };
constexpr int kAnyLevel = kApiLevel | kPathLevel | kOpLevel;

// Every extension Postern accepts, by name without prefix, and where it may appear.
// docs/configuration.md "Extensions" says what each one does: most are enforced; cors and
// response-cache load with a warning (kUnenforced); the interceptors are refused.
struct KnownExtension {
  std::string_view name;
  int levels;
};
constexpr KnownExtension kKnownExtensions[] = {
    {"basePath", kApiLevel},
    {"production-endpoints", kAnyLevel},
    {"sandbox-endpoints", kAnyLevel},
    {"endpoints", kApiLevel},
    {"throttling-tier", kAnyLevel},
    {"disable-security", kAnyLevel},
    {"application-security", kAnyLevel},
    {"auth-header", kApiLevel},
    {"cors", kApiLevel},
    {"request-interceptor", kAnyLevel},
    {"response-interceptor", kAnyLevel},
    {"response-cache", kApiLevel},
    {"transports", kApiLevel},
    {"mutual-ssl", kApiLevel},
    {"owner", kApiLevel},
};

constexpr std::string_view kMethods[] = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};
constexpr std::string_view kPathItemFields[] = {"summary", "description", "servers", "parameters", "$ref"};
constexpr std::string_view kSwaggerPathItemFields[] = {"parameters", "$ref"};

struct Ext {
  Entry entry;
  std::string written;  // "x-wso2-basePath"
};
using Extensions = std::map<std::string, Ext, std::less<>>;

std::string level_names(int levels) {
  std::vector<std::string> parts;
  if (levels & kApiLevel) parts.emplace_back("the document root");
  if (levels & kPathLevel) parts.emplace_back("a path item");
  if (levels & kOpLevel) parts.emplace_back("an operation");
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) s += i + 1 == parts.size() ? " or " : ", ";
    s += parts[i];
  }
  return s;
}

// Picks the x-wso2-* / x-postern-* keys out of a map, checking names, levels and that
// one extension is not set under both prefixes.
Extensions collect_extensions(Diagnostics& d, const MapReader& m, Level level, std::string_view where) {
  Extensions out;
  for (const Entry& e : m.entries()) {
    std::string_view prefix;
    if (e.name.starts_with(kWso2)) prefix = kWso2;
    else if (e.name.starts_with(kPostern)) prefix = kPostern;
    else continue;
    std::string name = e.name.substr(prefix.size());
    const KnownExtension* known = nullptr;
    for (const auto& k : kKnownExtensions) {
      if (k.name == name) known = &k;
    }
    if (known == nullptr) {
      std::vector<std::string_view> names;
      for (const auto& k : kKnownExtensions) names.push_back(k.name);
      std::string s = suggest(name, names);
      d.error(e.key, "unknown extension '" + e.name + "'" + (s.empty() ? "" : did_you_mean(std::string(prefix) + s)));
      continue;
    }
    if ((known->levels & level) == 0) {
      d.error(e.key,
              "'" + e.name + "' is not allowed " + std::string(where) + "; put it at " + level_names(known->levels));
      continue;
    }
    if (auto it = out.find(name); it != out.end()) {
      d.error(e.key, "'" + e.name + "' and '" + it->second.written + "' (at " +
                         d.location(it->second.entry.key.Mark()) + ") are the same extension; keep only one of them");
      continue;
    }
    out.emplace(name, Ext{e, e.name});
  }
  return out;
}

const Ext* find(const Extensions& x, std::string_view name) {
  auto it = x.find(name);
  return it == x.end() ? nullptr : &it->second;
}

// Extensions that load but are not applied: each warns where it is written, saying what
// Postern does instead, so a migrated project is never silently weaker than on WSO2.
struct Unenforced {
  std::string_view name;
  std::string_view consequence;  // follows "'x-wso2-NAME' is not enforced by Postern yet; "
};
constexpr Unenforced kUnenforced[] = {
    {"cors",
     "CORS preflights are forwarded to the backend unchanged and no Access-Control-* header is added, so "
     "the backend must answer CORS itself (a preflight reaches it only through an options operation, with "
     "x-wso2-disable-security: true since browsers send no credentials); remove the extension once it does"},
    {"response-cache",
     "no response is cached and every request reaches the backend; remove the extension, or put "
     "a cache in front of the gateway"},
};

// A value from the document quoted in a message: at most 60 characters.
std::string quoted_value(const YAML::Node& v) {
  if (!v.IsScalar()) return "";
  std::string s = v.Scalar();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return " ('" + s + "')";
}

// Warns about unenforced extensions and refuses interceptors, at any level.
void check_unenforced(Diagnostics& d, const Extensions& x) {
  for (const Unenforced& u : kUnenforced) {
    if (const Ext* e = find(x, u.name)) {
      d.warn(e->entry.key, "'" + e->written + "' is not enforced by Postern yet; " + std::string(u.consequence));
    }
  }
  // WSO2 3.x interceptors are Ballerina functions or Java classes compiled into the
  // gateway. Skipping one could skip a check the API relies on, so the load is refused.
  for (std::string_view name : {"request-interceptor", "response-interceptor"}) {
    const Ext* e = find(x, name);
    if (e == nullptr) continue;
    const YAML::Node& v = e->entry.value;
    if (v.IsMap()) {
      d.error(e->entry.key, "'" + e->written +
                                "' names an interceptor service, which Postern cannot call yet; "
                                "remove the extension and move its logic into the backend (support for HTTP "
                                "interceptor services is future work)");
    } else {
      d.error(e->entry.key, "'" + e->written + "' names a WSO2 Microgateway 3.x interceptor" + quoted_value(v) +
                                ", a Ballerina function or Java class that Postern cannot run; remove the "
                                "extension and move its logic into the backend (support for HTTP interceptor "
                                "services is future work)");
    }
  }
}

// An endpoint group as declared at one place: `declared` with a null group means it was
// declared but is invalid (already reported), so "missing endpoints" is not reported too.
struct Declared {
  bool declared = false;
  std::shared_ptr<const EndpointGroup> group;
};

// A level's `servers` read as endpoints on first use (errors reported once).
struct LazyServers {
  LazyServers(std::vector<NamedEndpoint>* host_names, const Entry* servers, const MapReader* swagger_root = nullptr)
      : named(host_names), entry(servers), swagger(swagger_root) {}
  std::vector<NamedEndpoint>* named;  // where endpoints with host names are collected
  const Entry* entry;                 // OpenAPI `servers`
  const MapReader* swagger;           // or a Swagger 2.0 root: host, basePath, schemes
  bool done = false;
  Declared result;
  const Declared& get(Diagnostics& d) {
    if (!done && entry != nullptr) {
      result.declared = true;
      result.group = servers_as_endpoints(d, *entry, named);
    } else if (!done && swagger != nullptr) {
      if (auto g = swagger_endpoints(d, *swagger, named)) result = Declared{true, *g};
    }
    done = true;
    return result;
  }
};

std::shared_ptr<const EndpointGroup> parse_group(Diagnostics& d, const YAML::Node& v, const std::string& where,
                                                 const std::string& name, std::vector<NamedEndpoint>* named) {
  size_t before = d.count();
  MapReader m(d, v, where, std::vector<std::string_view>{"urls", "type", "securityConfig", "advanceEndpointConfig"});
  if (!m.ok()) return nullptr;
  auto g = std::make_shared<EndpointGroup>();
  g->name = name;
  const Entry* urls = m.get("urls");
  if (urls == nullptr) {
    d.error(v, where + " has no 'urls'; add e.g. urls: [\"http://backend:8080\"]");
  } else if (!urls->value.IsSequence() || urls->value.size() == 0) {
    d.error(urls->value.IsNull() ? urls->key : urls->value,
            "'urls' must be a non-empty list of backend URLs, e.g. [\"http://backend:8080\"]");
  } else {
    for (const auto& u : urls->value) {
      if (!u.IsScalar()) {
        d.error(u, "each entry of 'urls' must be a URL string such as \"http://backend:8080\"");
        continue;
      }
      add_endpoint_url(d, u, u.Scalar(), g, named);
    }
  }
  if (const Entry* t = m.get("type")) {
    if (auto s = read_string(d, *t, "type")) {
      if (*s == "load_balance" || *s == "http" || *s == "address") g->type = EndpointGroup::Type::kLoadBalance;
      else if (*s == "failover") g->type = EndpointGroup::Type::kFailover;
      else
        d.error(t->value, "endpoint type '" + *s + "' is not one of load_balance, failover, http, address" +
                              did_you_mean(suggest(*s, {"load_balance", "failover", "http", "address"})));
    }
  }
  if (const Entry* s = m.get("securityConfig")) {
    d.warn(s->key,
           "'securityConfig' (backend Basic authentication) is not enforced by Postern yet; requests reach "
           "the backend without these credentials, so the backend must accept the gateway's calls without "
           "them (security.backend_jwt can tell it who the caller is); remove it once it does");
  }
  if (const Entry* a = m.get("advanceEndpointConfig")) {
    MapReader am(d, a->value, "advanceEndpointConfig",
                 std::vector<std::string_view>{"timeoutInMillis", "retryConfig", "circuitBreaker", "poolConfig"});
    if (const Entry* t = am.get("timeoutInMillis")) {
      if (auto ms = read_uint(d, *t, "timeoutInMillis", 1, 86'400'000)) g->timeout = Millis(int64_t(*ms));
    }
    if (const Entry* r = am.get("retryConfig")) {
      d.warn(r->key,
             "'retryConfig' is not enforced by Postern yet; a failed backend call is not retried (a "
             "failover endpoint still moves to its next URL when connecting fails); remove it");
    }
    if (const Entry* c = am.get("circuitBreaker")) {
      d.warn(c->key,
             "'circuitBreaker' is not enforced by Postern yet; a failing backend keeps receiving "
             "requests (no circuit ever opens); remove it");
    }
    if (const Entry* p = am.get("poolConfig")) {
      d.warn(p->key,
             "'poolConfig' is not enforced by Postern yet; backend connections are pooled per worker as "
             "limits.max_idle_upstream_per_endpoint in postern.yaml says; set that and remove it");
    }
  }
  if (d.count() != before) return nullptr;
  return g;
}

struct EndpointRegistry {
  std::map<std::string, std::shared_ptr<const EndpointGroup>, std::less<>> named;  // null: invalid
  std::string list_key;  // "x-wso2-endpoints" as written, "" when absent
  std::vector<NamedEndpoint>* host_names = nullptr;  // the document's endpoints with host names
};

void parse_endpoint_list(Diagnostics& d, const Ext& ext, EndpointRegistry& reg) {
  reg.list_key = ext.written;
  const YAML::Node& v = ext.entry.value;
  if (!v.IsSequence()) {
    d.error(v.IsNull() ? ext.entry.key : v, "'" + ext.written + "' must be a list of named endpoints, e.g.\n  " +
                                                ext.written +
                                                ":\n    - myBackend:\n        urls: [\"http://backend:8080\"]");
    return;
  }
  for (const auto& item : v) {
    if (!item.IsMap() || item.size() != 1) {
      d.error(item, "each item of '" + ext.written +
                        "' must be a map with one key, the endpoint name: '- myBackend: {urls: [...]}'");
      continue;
    }
    auto it = item.begin();
    std::string name = it->first.Scalar();
    if (reg.named.count(name) != 0) {
      d.error(it->first, "endpoint '" + name + "' is defined twice in '" + ext.written + "'");
      continue;
    }
    reg.named.emplace(name, parse_group(d, it->second, "endpoint '" + name + "'", name, reg.host_names));
  }
}

Declared read_endpoints(Diagnostics& d, const Ext* ext, const EndpointRegistry& reg) {
  Declared out;
  if (ext == nullptr) return out;
  out.declared = true;
  const YAML::Node& v = ext->entry.value;
  if (v.IsScalar()) {
    std::string_view ref = v.Scalar();
    std::string_view name;
    for (std::string_view prefix : {"#/x-wso2-endpoints/", "#/x-postern-endpoints/"}) {
      if (ref.starts_with(prefix)) name = ref.substr(prefix.size());
    }
    if (name.empty()) {
      d.error(v, "'" + ext->written +
                     "' must be an endpoint object {urls: [...]} or a reference like "
                     "\"#/x-wso2-endpoints/NAME\"; got '" +
                     std::string(ref) + "'");
      return out;
    }
    auto it = reg.named.find(name);
    if (it == reg.named.end()) {
      std::string defined;
      std::vector<std::string_view> names;
      for (const auto& [n, g] : reg.named) {
        defined += (defined.empty() ? "" : ", ") + n;
        names.push_back(n);
      }
      d.error(v, "endpoint '" + std::string(name) + "' is not defined; " +
                     (reg.list_key.empty()
                          ? std::string("add it to a root-level 'x-wso2-endpoints' list")
                          : "'" + reg.list_key + "' defines: " + defined + did_you_mean(suggest(name, names))));
      return out;
    }
    out.group = it->second;
    return out;
  }
  out.group = parse_group(d, v, "'" + ext->written + "'", "", reg.host_names);
  return out;
}

std::string slug(std::string_view title) {
  std::string s;
  for (char c : title) {
    char l = ascii_lower(c);
    bool keep = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '.' || l == '_' || l == '~' || l == '-';
    if (keep) s += l;
    else if (!s.empty() && s.back() != '-') s += '-';
  }
  while (!s.empty() && s.back() == '-') s.pop_back();
  return s;
}

// Validates and normalizes a base path with {version} already substituted.
Status normalize_base_path(std::string& bp) {
  if (bp.empty() || bp.front() != '/') return Status::error("must start with '/', e.g. /petstore/{version}");
  if (bp.find_first_of("{}") != std::string::npos) {
    return Status::error("may only use the {version} placeholder");
  }
  if (bp.find_first_of("?# \t") != std::string::npos) {
    return Status::error("must not contain spaces, '?' or '#'");
  }
  while (bp.size() > 1 && bp.back() == '/') bp.pop_back();
  if (bp.find("//") != std::string::npos) return Status::error("must not contain empty segments ('//')");
  if (bp == "/") bp.clear();
  return Status();
}

bool is_method(std::string_view k) {
  return std::find(std::begin(kMethods), std::end(kMethods), k) != std::end(kMethods);
}

std::string upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = char(c >= 'a' && c <= 'z' ? c - 32 : c);
  return u;
}

// --- security -------------------------------------------------------------------------

struct SecurityScheme {
  enum class Kind { kOAuth2, kApiKey, kBasic, kMutualTls } kind = Kind::kOAuth2;
  bool in_query = false;
  std::string name;  // apiKey: header/query parameter name
};
using SchemeMap = std::map<std::string, SecurityScheme, std::less<>>;

// The scalar at map[key], or "" when absent or not a scalar. (On a const node yaml-cpp
// returns an invalid node for a missing key, and asking an invalid node its type throws.)
std::string scalar_at(const YAML::Node& map, const char* key) {
  YAML::Node n = map[key];
  if (!n.IsDefined() || !n.IsScalar()) return {};
  return n.Scalar();
}

// OpenAPI 3 `components.securitySchemes`, or Swagger 2.0 `securityDefinitions` (types
// basic, apiKey, oauth2) when `swagger`.
SchemeMap parse_security_schemes(Diagnostics& d, const MapReader& root, bool swagger) {
  SchemeMap out;
  YAML::Node schemes;
  if (swagger) {
    if (const Entry* defs = root.get("securityDefinitions")) schemes = defs->value;
  } else if (const Entry* comp = root.get("components"); comp != nullptr && comp->value.IsMap()) {
    schemes = comp->value["securitySchemes"];
  }
  const std::string where = swagger ? "securityDefinitions" : "components.securitySchemes";
  const std::string types = swagger ? "basic, apiKey, oauth2" : "oauth2, openIdConnect, apiKey, http, mutualTLS";
  if (!schemes.IsDefined() || schemes.IsNull()) return out;
  if (!schemes.IsMap()) {
    d.error(schemes, "'" + where + "' must be a map of scheme name to scheme");
    return out;
  }
  for (auto it = schemes.begin(); it != schemes.end(); ++it) {
    std::string name = it->first.Scalar();
    YAML::Node def = it->second;  // a copy: the iterator yields a temporary
    if (!def.IsMap() || scalar_at(def, "type").empty()) {
      d.error(it->first, "security scheme '" + name + "' needs a 'type' (" + types + ")");
      continue;
    }
    std::string type = scalar_at(def, "type");
    SecurityScheme sc;
    if (type == "oauth2" || (!swagger && type == "openIdConnect")) {
      sc.kind = SecurityScheme::Kind::kOAuth2;
    } else if (swagger && type == "basic") {
      sc.kind = SecurityScheme::Kind::kBasic;
    } else if (type == "apiKey") {
      sc.kind = SecurityScheme::Kind::kApiKey;
      std::string in = scalar_at(def, "in");
      if (in != "header" && in != "query") {
        d.error(def, "apiKey scheme '" + name + "' must have 'in: header' or 'in: query' (cookies are not supported)");
        continue;
      }
      sc.in_query = in == "query";
      if (scalar_at(def, "name").empty()) {
        d.error(def, "apiKey scheme '" + name + "' needs 'name': the header or query parameter carrying the key");
        continue;
      }
      sc.name = scalar_at(def, "name");
      if (!sc.in_query) {
        for (char& c : sc.name) c = ascii_lower(c);
      }
    } else if (!swagger && type == "http") {
      std::string scheme = scalar_at(def, "scheme");
      for (char& c : scheme) c = ascii_lower(c);
      if (scheme == "basic") sc.kind = SecurityScheme::Kind::kBasic;
      else if (scheme == "bearer") sc.kind = SecurityScheme::Kind::kOAuth2;
      else {
        d.error(def, "http security scheme '" + name + "' must use scheme 'basic' or 'bearer'");
        continue;
      }
    } else if (!swagger && type == "mutualTLS") {
      sc.kind = SecurityScheme::Kind::kMutualTls;
    } else {
      d.error(def, "unknown security scheme type '" + type + "' (" + types + ")");
      continue;
    }
    out.emplace(name, std::move(sc));
  }
  return out;
}

// Applies an OpenAPI `security` requirement list to `sec`. Returns false when it declares
// nothing (absent or empty), so the caller falls back to the enclosing level or the default.
bool apply_requirements(Diagnostics& d, const YAML::Node& req, const SchemeMap& schemes,
                        std::string_view schemes_where, RouteSecurity& sec) {
  if (!req.IsDefined() || req.IsNull()) return false;
  if (!req.IsSequence()) {
    d.error(req, "'security' must be a list of requirements, e.g. security: [{oauth2: [read:pets]}]");
    return false;
  }
  if (req.size() == 0) return false;  // secure by default: an empty list does not open a route
  for (const auto& alt : req) {
    if (!alt.IsMap()) {
      d.error(alt, "each 'security' requirement must be a map of scheme name to scopes");
      continue;
    }
    for (auto it = alt.begin(); it != alt.end(); ++it) {
      std::string name = it->first.Scalar();
      auto sc = schemes.find(name);
      SecurityScheme::Kind kind = SecurityScheme::Kind::kOAuth2;
      if (sc == schemes.end()) {
        // WSO2 treats a requirement naming an undefined scheme as OAuth2. So does Postern
        // (it fails closed: a bearer token is required), but says so, since it is often a typo.
        std::vector<std::string_view> names;
        for (const auto& [n, v] : schemes) names.push_back(n);
        d.warn(it->first, "security scheme '" + name + "' is not defined in " + std::string(schemes_where) +
                              "; Postern treats it as OAuth2, as WSO2 does (callers need a bearer token" +
                              std::string(it->second.IsSequence() && it->second.size() > 0 ? " with one of its scopes"
                                                                                           : "") +
                              "); define the scheme" + did_you_mean(suggest(name, names)));
      } else {
        kind = sc->second.kind;
      }
      switch (kind) {
        case SecurityScheme::Kind::kOAuth2: {
          sec.oauth2 = true;
          YAML::Node scopes = it->second;  // a copy: it-> yields a temporary proxy
          if (scopes.IsSequence()) {
            for (const auto& scope : scopes) {
              if (scope.IsScalar()) sec.scopes.push_back(scope.Scalar());
            }
          }
          break;
        }
        case SecurityScheme::Kind::kApiKey: sec.api_keys.push_back({sc->second.in_query, sc->second.name}); break;
        case SecurityScheme::Kind::kBasic: sec.basic = true; break;
        case SecurityScheme::Kind::kMutualTls: break;  // x-wso2-mutual-ssl decides
      }
    }
  }
  return true;
}

// x-*-application-security: {security-types: [oauth2, basic_auth, api_key], optional: bool}
void apply_application_security(Diagnostics& d, const Ext& ext, RouteSecurity& sec) {
  const YAML::Node& v = ext.entry.value;
  if (!v.IsMap()) {
    d.error(v, "'" + ext.written + "' must be a map like {security-types: [oauth2, api_key]}");
    return;
  }
  YAML::Node types = v["security-types"];
  if (!types.IsDefined() || !types.IsSequence()) {
    d.error(v, "'" + ext.written + "' needs 'security-types': a list of oauth2, basic_auth, api_key");
    return;
  }
  bool oauth2 = false, basic = false, api_key = false;
  for (const auto& t : types) {
    std::string s = t.IsScalar() ? t.Scalar() : "";
    if (s == "oauth2") oauth2 = true;
    else if (s == "basic_auth") basic = true;
    else if (s == "api_key") api_key = true;
    else d.error(t, "unknown security type '" + s + "' in '" + ext.written + "' (oauth2, basic_auth, api_key)");
  }
  sec.oauth2 = oauth2;
  sec.basic = basic;
  sec.application_optional = scalar_at(v, "optional") == "true";
  if (api_key && sec.api_keys.empty()) sec.api_keys.push_back({false, "apikey"});
  if (!api_key) sec.api_keys.clear();
}

}  // namespace

std::optional<YAML::Node> load_yaml_file(Diagnostics& d, const fs::path& file) {
  try {
    YAML::Node n = YAML::LoadFile(file.string());
    if (!n.IsDefined() || n.IsNull()) {
      d.error("the file is empty");
      return std::nullopt;
    }
    return n;
  } catch (const YAML::BadFile&) {
    d.error("cannot read the file");
  } catch (const YAML::ParserException& e) {
    d.error(e.mark, "syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    d.error(e.mark, e.msg);
  }
  return std::nullopt;
}

ParsedApi parse_openapi(Diagnostics& d, const YAML::Node& root, const fs::path& file_abs) {
  ParsedApi out;
  MapReader m(d, root, "an OpenAPI document", std::nullopt);
  if (!m.ok()) return out;
  auto api = std::make_unique<Api>();
  api->file = file_abs;

  // Swagger 2.0 documents load too (WSO2 3.x accepts them): same paths and extensions,
  // securityDefinitions for the schemes, host/basePath/schemes for the backend.
  const bool swagger = m.get("swagger") != nullptr && m.get("openapi") == nullptr;
  if (const Entry* v = m.get("openapi")) {
    std::string s = v->value.IsScalar() ? v->value.Scalar() : "";
    bool ok = (s.starts_with("3.0.") || s.starts_with("3.1.")) && s.size() > 4 &&
              parse_u64(std::string_view(s).substr(4)).has_value();
    if (!ok) {
      d.error(v->value.IsNull() ? v->key : v->value,
              "'openapi' must be a 3.0.x or 3.1.x version string such as \"3.0.3\" (quote it in YAML); got '" + s +
                  "'");
    }
    if (const Entry* sw = m.get("swagger")) {
      d.error(sw->key, "a document is either OpenAPI 3 ('openapi') or Swagger 2.0 ('swagger'); remove one of them");
    }
  } else if (const Entry* sw = m.get("swagger")) {
    if (!sw->value.IsScalar() || sw->value.Scalar() != "2.0") {
      d.error(sw->value.IsNull() ? sw->key : sw->value,
              "'swagger' must be \"2.0\" (quoted in YAML), or use 'openapi: \"3.0.3\"' for OpenAPI 3");
    }
  } else {
    d.error(root, "not an OpenAPI document: 'openapi: \"3.0.3\"' (or 3.1.x, or swagger: \"2.0\") is missing at the top");
  }

  if (const Entry* info = m.get("info")) {
    MapReader im(d, info->value, "'info'", std::nullopt);
    if (im.ok()) {
      const Entry* title = im.get("title");
      const Entry* version = im.get("version");
      if (title == nullptr) d.error(info->key, "'info.title' is required (the API's name)");
      else if (auto t = read_string(d, *title, "info.title")) api->name = *t;
      if (version == nullptr) d.error(info->key, "'info.version' is required (e.g. version: \"1.0.0\")");
      else if (auto t = read_string(d, *version, "info.version")) api->version = *t;
    }
  } else {
    d.error(root, "'info' with 'title' and 'version' is required");
  }

  Extensions ext = collect_extensions(d, m, kApiLevel, "at the document root");
  check_unenforced(d, ext);

  // x-*-transports: [http, https] (WSO2: the schemes the API is served on). Enforced per
  // listener: an API without "http" is not served on plain listeners, and the reverse.
  if (const Ext* e = find(ext, "transports")) {
    const YAML::Node& v = e->entry.value;
    if (!v.IsSequence() || v.size() == 0) {
      d.error(v.IsNull() ? e->entry.key : v,
              "'" + e->written + "' must be a non-empty list of http and/or https, e.g. [https]");
    } else {
      uint8_t transports = 0;
      bool ok = true;
      for (const auto& t : v) {
        std::string s = t.IsScalar() ? t.Scalar() : "";
        if (s == "http") transports |= Api::kHttp;
        else if (s == "https") transports |= Api::kHttps;
        else {
          ok = false;
          d.error(t, "unknown transport '" + s + "' in '" + e->written + "'; use http and/or https" +
                         did_you_mean(suggest(s, {"http", "https"})));
        }
      }
      if (ok) {
        api->transports = transports;
        out.transports_mark = e->entry.key.Mark();
      }
    }
  }
  // x-*-owner: the API's publisher, recorded in every analytics event as api_owner.
  if (const Ext* e = find(ext, "owner")) {
    if (auto o = read_string(d, e->entry, e->written)) api->owner = *o;
  }

  EndpointRegistry reg;
  reg.host_names = &out.named_endpoints;
  if (const Ext* e = find(ext, "endpoints")) parse_endpoint_list(d, *e, reg);

  if (const Ext* e = find(ext, "basePath")) {
    if (auto bp = read_string(d, e->entry, e->written)) {
      std::string path = *bp;
      for (size_t pos; (pos = path.find("{version}")) != std::string::npos;) path.replace(pos, 9, api->version);
      if (Status s = normalize_base_path(path); !s) d.error(e->entry.value, "'" + e->written + "' " + s.message());
      else api->base_path = path;
    }
  } else if (!api->name.empty()) {
    std::string s = slug(api->name);
    if (s.empty())
      d.error(root, "cannot derive a base path from info.title; set x-wso2-basePath, e.g. /myapi/{version}");
    else api->base_path = "/" + s;
  }

  const SchemeMap schemes = parse_security_schemes(d, m, swagger);
  const std::string_view schemes_where = swagger ? "securityDefinitions" : "components.securitySchemes";
  const Entry* root_security = m.get("security");
  std::string auth_header;
  if (const Ext* e = find(ext, "auth-header")) {
    if (auto h = read_string(d, e->entry, e->written)) {
      auth_header = *h;
      for (char& c : auth_header) c = ascii_lower(c);
    }
  }
  auto read_flag = [&](const Extensions& x, std::string_view name) -> std::optional<bool> {
    const Ext* e = find(x, name);
    if (e == nullptr) return std::nullopt;
    return read_bool(d, e->entry, e->written);
  };
  std::optional<bool> api_disabled = read_flag(ext, "disable-security");
  // x-*-throttling-tier (APIM's x-throttling-tier too); resolved against the tiers by the
  // loader, which knows postern.yaml.
  auto read_tier = [&](const Extensions& x, const MapReader& raw, std::string& name, YAML::Mark& mark) {
    const Entry* e = nullptr;
    std::string written;
    if (const Ext* t = find(x, "throttling-tier")) {
      e = &t->entry;
      written = t->written;
    } else if (const Entry* t2 = raw.get("x-throttling-tier")) {
      e = t2;
      written = "x-throttling-tier";
    }
    if (e == nullptr) return;
    if (auto v = read_string(d, *e, written)) {
      if (v->empty()) d.error(e->value, "'" + written + "' must name a tier, e.g. 10kPerMin");
      name = *v;
      mark = e->value.Mark();
    }
  };
  read_tier(ext, m, out.tier, out.tier_mark);
  std::string mutual_ssl;
  if (const Ext* e = find(ext, "mutual-ssl")) {
    if (auto v = read_string(d, e->entry, e->written)) {
      if (*v != "mandatory" && *v != "optional")
        d.error(e->entry.value, "'" + e->written + "' must be \"mandatory\" or \"optional\"");
      else mutual_ssl = *v;
    }
  }
  // The root requirement, parsed once (its errors are reported once, not per route).
  RouteSecurity root_sec;
  const bool root_declared = root_security != nullptr && apply_requirements(d, root_security->value, schemes, schemes_where, root_sec);

  Declared api_prod = read_endpoints(d, find(ext, "production-endpoints"), reg);
  // `servers` are the production endpoints where no x-*-production-endpoints is given at
  // any level (WSO2 does the same); op servers over path servers over root servers, as in
  // OpenAPI. Each is read when first needed, so documentation-only servers of an API with
  // its own endpoints are never checked.
  LazyServers root_servers{reg.host_names, swagger ? nullptr : m.get("servers"), swagger ? &m : nullptr};
  Declared api_sbx = read_endpoints(d, find(ext, "sandbox-endpoints"), reg);

  const Entry* paths = m.get("paths");
  if (paths == nullptr) {
    d.error(root, "'paths' is missing; an API needs at least one resource");
  } else if (!paths->value.IsNull()) {
    MapReader pm(d, paths->value, "'paths'", std::nullopt);
    for (const Entry& p : pm.entries()) {
      if (p.name.starts_with("x-")) {
        if (p.name.starts_with(kWso2) || p.name.starts_with(kPostern)) {
          d.error(p.key, "'" + p.name + "' is not allowed directly under 'paths'; put it on a path item or operation");
        }
        continue;
      }
      if (!p.name.starts_with("/")) {
        d.error(p.key, "path '" + p.name + "' must start with '/'");
        continue;
      }
      {
        router::RouteTable scratch;
        if (Status s = scratch.add(router::Method::kGet, p.name, 0); !s) {
          d.error(p.key, s.message());
          continue;
        }
      }
      std::string where_path = "on path '" + p.name + "'";
      MapReader item(d, p.value, "path '" + p.name + "'", std::nullopt);
      if (!item.ok()) continue;
      Extensions pext = collect_extensions(d, item, kPathLevel, where_path);
      check_unenforced(d, pext);
      Declared path_prod = read_endpoints(d, find(pext, "production-endpoints"), reg);
      LazyServers path_servers{reg.host_names, swagger ? nullptr : item.get("servers")};
      Declared path_sbx = read_endpoints(d, find(pext, "sandbox-endpoints"), reg);
      for (const Entry& op : item.entries()) {
        if (op.name.starts_with("x-")) continue;
        if (!is_method(op.name)) {
          if (op.name == "$ref") {
            d.error(op.key, "path item '$ref' is not supported; write the operations inline");
          } else if (std::span<const std::string_view> fields =
                         swagger ? std::span<const std::string_view>(kSwaggerPathItemFields) : kPathItemFields;
                     std::find(fields.begin(), fields.end(), op.name) == fields.end()) {
            std::vector<std::string_view> all(std::begin(kMethods), std::end(kMethods));
            all.insert(all.end(), fields.begin(), fields.end());
            d.error(op.key,
                    "unknown key '" + op.name + "' in path '" + p.name + "'" + did_you_mean(suggest(op.name, all)));
          }
          continue;
        }
        std::string method = upper(op.name);
        std::string where_op = "on an operation (" + method + " " + p.name + ")";
        MapReader om(d, op.value, method + " " + p.name, std::nullopt);
        if (!om.ok()) continue;
        Extensions oext = collect_extensions(d, om, kOpLevel, where_op);
        check_unenforced(d, oext);
        Declared op_prod = read_endpoints(d, find(oext, "production-endpoints"), reg);
        Declared op_sbx = read_endpoints(d, find(oext, "sandbox-endpoints"), reg);
        auto pick = [](const Declared& a, const Declared& b, const Declared& c) -> const Declared& {
          return a.declared ? a : b.declared ? b : c;
        };
        const Declared* declared_prod = &pick(op_prod, path_prod, api_prod);
        LazyServers op_servers{reg.host_names, swagger ? nullptr : om.get("servers")};
        for (LazyServers* ls : {&op_servers, &path_servers, &root_servers}) {
          if (!declared_prod->declared) declared_prod = &ls->get(d);
        }
        const Declared& prod = *declared_prod;
        const Declared& sbx = pick(op_sbx, path_sbx, api_sbx);
        if (!prod.declared) {
          d.error(op.key, method + " " + p.name +
                              " has no production endpoints; add x-wso2-production-endpoints "
                              "(or x-postern-production-endpoints) to the operation or to the document root, e.g. "
                              "{urls: [\"http://backend:8080\"]}, or " +
                              (swagger ? "Swagger 'host' (with 'basePath' and 'schemes')"
                                       : "OpenAPI 'servers' with absolute URLs"));
          continue;
        }
        if (!prod.group || (sbx.declared && !sbx.group)) continue;  // already reported

        auto sec = std::make_shared<RouteSecurity>();
        std::optional<bool> disabled = read_flag(oext, "disable-security");
        if (!disabled) disabled = read_flag(pext, "disable-security");
        if (!disabled) disabled = api_disabled;
        sec->disabled = disabled.value_or(false);
        if (!auth_header.empty()) sec->auth_header = auth_header;
        bool declared = apply_requirements(d, op.value["security"], schemes, schemes_where, *sec);
        if (!declared && root_declared) {
          sec->oauth2 = root_sec.oauth2;
          sec->basic = root_sec.basic;
          sec->api_keys = root_sec.api_keys;
          sec->scopes = root_sec.scopes;
          declared = true;
        }
        if (!declared) sec->oauth2 = true;  // WSO2: no declared security means OAuth2
        const Ext* app_sec = find(oext, "application-security");
        if (app_sec == nullptr) app_sec = find(pext, "application-security");
        if (app_sec == nullptr) app_sec = find(ext, "application-security");
        if (app_sec != nullptr) apply_application_security(d, *app_sec, *sec);
        sec->mutual_ssl = mutual_ssl;
        PendingRoute r;
        r.security = std::move(sec);
        r.method = router::method_from_string(method);
        r.method_text = method;
        r.resource_path = p.name;
        r.full_template = (p.name == "/" && !api->base_path.empty()) ? api->base_path : api->base_path + p.name;
        r.production = prod.group;
        r.sandbox = sbx.group;
        r.mark = op.key.Mark();
        r.source = d.location(r.mark);
        read_tier(oext, om, r.tier, r.tier_mark);
        if (r.tier.empty()) read_tier(pext, item, r.tier, r.tier_mark);
        out.routes.push_back(std::move(r));
      }
    }
  }
  out.api = std::move(api);
  return out;
}

}  // namespace postern::config::detail
