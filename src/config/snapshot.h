#pragma once
// The whole validated, immutable runtime configuration. Built once by load_project() on the
// main thread, shared with workers as std::shared_ptr<const Snapshot>; never mutated.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>

#include "router/route_table.h"

namespace postern::config {

using Millis = std::chrono::milliseconds;

// A resolved socket address (resolved at load time; a reload re-resolves).
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  std::string text;  // "127.0.0.1:8080" or "[::1]:8080", for logs and pool keys
};

struct TlsServerConfig {
  std::filesystem::path cert_file;  // PEM chain
  std::filesystem::path key_file;   // PEM private key
  // Mutual TLS: client certificates are requested and verified against client_ca_file.
  enum class ClientAuth : uint8_t {
    kNone,      // no client certificate requested
    kOptional,  // requested; a connection without one is accepted (APIs decide)
    kRequired,  // the handshake fails without a valid one
  };
  std::filesystem::path client_ca_file;
  ClientAuth client_auth = ClientAuth::kNone;
};

struct Listener {
  std::string name;
  std::string address_text;  // as written: "0.0.0.0:9090"
  SocketAddress address;
  std::optional<TlsServerConfig> tls;
};

// One backend URL of an endpoint group, e.g. "https://orders-a:8443/v2".
struct Endpoint {
  std::string url;                       // as written
  bool tls = false;                      // https://
  std::string host;                      // "orders-a" (for Host rewriting and TLS SNI/verification)
  uint16_t port = 0;                     // explicit or 80/443
  std::string host_header;               // "orders-a:8443", or "orders-a" for default ports
  std::string base_path;                 // "/v2", or "" ; never ends with '/'
  // The URL's query without '?' ("" = none): sent on every request, before the client's
  // query, whose parameters of the same names are dropped (http/forward_head.cc).
  std::string query;
  // Resolved at load; empty when a host name did not resolve then. For a host name
  // (`dynamic`) the gateway keeps re-resolving while it runs (upstream/host_refresher.h)
  // and these are only the first record set; a numeric host is fixed.
  std::vector<SocketAddress> addresses;
  bool dynamic = false;
};

struct EndpointGroup {
  enum class Type : uint8_t {
    kLoadBalance,  // round robin over urls (WSO2 default for several urls)
    kFailover,     // first url; the next one only when a connection fails
  };
  std::string name;  // "#/x-wso2-endpoints/NAME" name, or "" when inline
  Type type = Type::kLoadBalance;
  std::vector<Endpoint> endpoints;
  Millis timeout{0};  // advanceEndpointConfig.timeoutInMillis; 0 = gateway default
};

struct Api;
struct ThrottleTier;

// How a route lets callers in. Built from OpenAPI `security` requirements,
// `components.securitySchemes` and the x-wso2-/x-postern- security extensions. Secure by
// default: a route that declares nothing requires OAuth2 (a JWT from a configured issuer).
struct RouteSecurity {
  bool disabled = false;  // x-*-disable-security: true (an explicit opt-out)
  bool oauth2 = false;    // bearer tokens: JWTs from `security.issuers`
  bool basic = false;     // HTTP Basic (declared; see docs/security.md for what is enforced)
  struct ApiKey {
    bool in_query = false;
    std::string name;  // header (lower-case) or query parameter name
  };
  std::vector<ApiKey> api_keys;
  std::vector<std::string> scopes;            // any one of them suffices (WSO2); empty = none required
  std::string auth_header = "authorization";  // lower-case; x-*-auth-header overrides
  // x-*-mutual-ssl: a verified client certificate is "mandatory" or "optional" ("" = not
  // used). With mandatory and application-security `optional: true`, the certificate
  // alone lets the caller in.
  std::string mutual_ssl;
  bool application_optional = false;
  std::string source;  // where the requirement came from, for docs/debugging
};

// One (method, path template) of one API.
struct Route {
  uint32_t id = 0;           // index into Snapshot::routes
  const Api* api = nullptr;  // owning API (points into Snapshot::apis)
  router::Method method = router::Method::kGet;
  std::string method_text;                          // "GET"
  std::string resource_path;                        // template as in the OpenAPI doc: "/pets/{id}"
  std::string full_template;                        // base path + resource path: "/petstore/1.0.0/pets/{id}"
  std::shared_ptr<const EndpointGroup> production;  // resource level wins over API level
  std::shared_ptr<const EndpointGroup> sandbox;     // may be null
  std::shared_ptr<const RouteSecurity> security;    // never null
  // x-wso2-throttling-tier on the operation (or its path item); null when none. Ignored
  // when the API has a tier of its own (WSO2: the API level overrides the resource level).
  const ThrottleTier* resource_tier = nullptr;
  std::string source;  // "apis/petstore.yaml:23:5" (where the operation is declared)
};

struct Api {
  std::string name;       // info.title
  std::string version;    // info.version
  std::string base_path;  // resolved ({version} substituted); "/" -> ""; never ends with '/'
  std::filesystem::path file;
  std::vector<uint32_t> route_ids;
  const ThrottleTier* tier = nullptr;  // x-wso2-throttling-tier at the root; null when none
  // x-wso2-transports: the listeners the API is served on (a bitmask). On the others it
  // answers 404 like an unknown API.
  enum Transport : uint8_t { kHttp = 1, kHttps = 2 };
  uint8_t transports = kHttp | kHttps;
  bool served_on(bool tls) const { return (transports & (tls ? kHttps : kHttp)) != 0; }
  std::string owner;  // x-wso2-owner ("" when absent); analytics events carry it as api_owner
};

struct Limits {
  size_t max_header_bytes = 8 * 1024;  // request line + headers
  size_t max_uri_bytes = 4 * 1024;
  uint64_t max_body_bytes = 0;    // 0 = unlimited (bodies are streamed)
  Millis header_timeout{10'000};  // whole request head must arrive (slowloris)
  Millis idle_timeout{60'000};    // keep-alive connection without a request
  Millis body_timeout{60'000};    // between two reads of a request body
  Millis upstream_connect_timeout{5'000};
  Millis upstream_response_timeout{60'000};    // until the response head; per endpoint override
  Millis upstream_idle_timeout{30'000};        // pooled upstream connection unused
  Millis drain_timeout{30'000};                // SIGTERM: in-flight requests get this long
  size_t max_idle_upstream_per_endpoint = 64;  // per worker
};

struct AccessLog {
  bool enabled = false;
  std::string path;  // "-" = stdout
};

struct UpstreamTls {
  std::filesystem::path ca_file;  // empty = system CA store
  bool verify = true;
};

// How backend host names are resolved (postern.yaml `dns:`).
struct DnsConfig {
  std::vector<std::string> servers;  // "ip[:port]"/"[v6]:port" as written; empty = resolv.conf
  Millis refresh{30'000};            // re-resolve at least this often (sooner when the TTL is shorter)
  Millis timeout{2'000};             // per query try
};

struct ForwardingPolicy {
  // X-Forwarded-For/-Proto/-Host from these peers are trusted and appended to;
  // from anyone else they are replaced (design.md: never trust client copies).
  std::vector<std::string> trusted_proxies;  // CIDRs as written ("10.0.0.0/8")
  bool preserve_host = false;                // forward the client's Host unchanged
  bool allow_encoded_slash = false;          // keep %2F in paths instead of rejecting
};

// A trusted issuer of JWT access tokens (WSO2 `[[jwtTokenConfig]]`).
struct JwtIssuer {
  std::string name;                     // for logs and metrics
  std::string issuer;                   // exact `iss` value
  std::vector<std::string> audiences;   // any one must be in `aud`; empty = not checked
  std::vector<std::string> algorithms;  // allow-list, e.g. ["RS256"]; never "none"
  std::filesystem::path certificate;    // PEM certificate or public key
  std::filesystem::path jwks_file;      // a JWKS document
  std::string jwks_url;                 // http(s) URL of a JWKS, fetched and refreshed
  Millis jwks_refresh{600'000};         // refetch period for jwks_url (last good keys kept)
  Millis jwks_min_refetch{30'000};      // an unknown kid refetches at most this often
  std::string hmac_secret;              // HS* secret (from an env var or a file, never inline)
  Millis leeway{30'000};                // clock skew allowed for exp/nbf/iat
  bool validate_subscription = false;   // check the WSO2 subscribedAPIs claim
  std::string consumer_key_claim = "azp";
  // Claim names for IdPs that do not use the standard ones (`claims:`); "" = the defaults:
  // `sub`, and `scope` (space-separated) merged with `scp` (array).
  std::string subject_claim;
  std::string scopes_claim;
  // A key manager's list of revoked token ids (GET, polled with ETags every revocations_poll);
  // "" = none. Its ids are refused for this issuer's tokens, cached ones too.
  std::string revocations_url;
  Millis revocations_poll{10'000};
  std::string source;  // "postern.yaml:LINE:COL" of the entry
};

// An HTTP Basic user (WSO2 `b7a.users`). The password is stored only as a slow salted
// hash (`postern hash-password`).
struct BasicUser {
  std::string username;
  std::string password_hash;
  std::vector<std::string> scopes;
  std::string source;
};

// A static API key, stored only as the SHA-256 of the key (hex). API keys are long random
// strings, so an unsalted fast hash is enough to keep them out of the config in clear.
struct StaticApiKey {
  std::string name;        // identifies the caller (subject) in logs and analytics
  std::string sha256_hex;  // lower-case hex of SHA-256(key)
  std::vector<std::string> scopes;
  std::vector<std::string> apis;  // "Name:version" (version may be *); empty = every API
  std::string application;        // application name (throttling, analytics)
  std::string tier;               // subscription tier handed to throttling
  std::string source;
};

// The gateway-signed JWT that tells the backend who the caller is (WSO2 X-JWT-Assertion).
struct BackendJwt {
  bool enabled = false;
  std::string header = "X-JWT-Assertion";
  std::filesystem::path key_file;  // PEM private key (RSA, EC or Ed25519)
  std::string issuer = "postern";
  Millis lifetime{900'000};  // never beyond the caller's own token
  std::string source;
};

// An OAuth2 key manager for opaque tokens (RFC 7662 introspection; WSO2 `[keyManager]`).
struct KeyManager {
  bool enabled = false;
  std::string introspection_url;     // http(s)://…/oauth2/introspect
  std::string client_id;             // the gateway's client credentials (HTTP Basic)
  std::string client_secret;         // from an env var or a file, never inline
  Millis timeout{2'000};             // per introspection call; past it the caller gets 503
  Millis cache_inactive{30'000};     // how long an "active: false" answer is remembered
  Millis cache_active_max{900'000};  // an active token is cached until exp, at most this
  bool validate_subscription = false;
  std::string source;
};

// Behind a TLS-terminating load balancer the client certificate arrives in a header (URL-
// encoded PEM, WSO2's certificateHeaderName). Trusted only from forwarding.trusted_proxies
// and verified against ca_file like a handshake certificate.
struct ClientCertHeader {
  std::string header;  // e.g. "x-wso2-client-certificate" (lower-case); "" = off
  std::filesystem::path ca_file;
};

struct SecurityConfig {
  std::vector<JwtIssuer> issuers;
  KeyManager key_manager;
  ClientCertHeader client_cert_header;
  BackendJwt backend_jwt;
  std::vector<BasicUser> users;
  std::vector<StaticApiKey> api_keys;
  std::string auth_header = "Authorization";  // default bearer token header
  bool remove_credential_header = true;       // do not forward the caller's token
  size_t token_cache_entries = 10'000;        // verified tokens per worker
  std::vector<std::string> revoked_jtis;      // rejected even when cached
};

// A throttling policy (WSO2 "tier"): a quota of requests and/or bytes per window. Windows are
// fixed and aligned to multiples of `unit_ms` since the Unix epoch, so every worker and every
// node agrees on when one starts (docs/throttling.md says why).
struct ThrottleTier {
  std::string name;
  bool unlimited = false;    // WSO2 "Unlimited": never checked
  uint64_t requests = 0;     // per window; 0 = no request quota
  uint64_t bytes = 0;        // per window (bandwidth tier); 0 = no byte quota
  int64_t unit_ms = 60'000;  // window length
  uint64_t burst = 0;        // at most this many requests per second as well (WSO2 burst control); 0 = off
  // Per-consumer keys: the level's usual key gets this value appended, so every client IP,
  // header value or claim value has a quota of its own.
  enum class KeyBy : uint8_t { kDefault, kClientIp, kHeader, kClaim };
  KeyBy key_by = KeyBy::kDefault;
  std::string key_name;      // header name (lower-case) or claim name
  bool fail_closed = false;  // distributed mode with Redis unreachable: 503 instead of local-only limits
  bool builtin = false;
  std::string source;  // "postern.yaml:L:C", or "built in"
};
using TierMap = std::map<std::string, ThrottleTier, std::less<>>;

// A blocking condition (WSO2 "blocking conditions"): matching requests get 403 / 900805.
struct BlockCondition {
  enum class Type : uint8_t { kIp, kApi, kApplication, kUser };
  Type type = Type::kIp;
  std::string value;  // CIDR or address; "Name:version" or "Name"; application id or name; user (sub)
  std::string source;
};

struct RedisConfig {
  SocketAddress address;     // resolved at load
  std::string address_text;  // as written
  std::string password;      // from an env var or a file, never inline
  unsigned database = 0;
  std::string key_prefix = "postern";
  Millis sync_interval{100};  // push local counts at least this often
  uint64_t batch = 100;       // most requests one node admits per key between syncs
  Millis timeout{500};        // connect/command timeout; past it Redis counts as down
};

struct ThrottlingConfig {
  TierMap resource;                                      // API- and resource-level tiers (WSO2 resourcePolicies)
  TierMap application;                                   // application tiers (the token's application.tier)
  TierMap subscription;                                  // subscription tiers (subscribedAPIs[].subscriptionTier)
  std::string unauthenticated_tier = "Unauthenticated";  // open resources, keyed by client IP
  std::string default_subscription_tier;                 // tokens without a tier; "" = not limited at that level
  bool distributed = false;                              // mode: redis
  RedisConfig redis;
  uint64_t memory_bytes = 64ull << 20;  // bound on the counters' memory
  bool rate_limit_headers = true;       // RateLimit-* on limited responses
  std::vector<BlockCondition> blocks;
  std::string source;  // of the `throttling:` section ("" when absent)
};

// postern.yaml `analytics:` — one event per request to local files, optionally uploaded to
// a collector (docs/analytics.md). Read at start; a reload that changes it is logged and
// takes effect at the next start.
struct AnalyticsUpload {
  std::string url;           // collector base URL (http:// or https://); "" = no upload
  std::string bearer_token;  // Authorization: Bearer … (from an env var or file)
  std::string basic_user;    // … or Authorization: Basic user:password
  std::string basic_password;
  std::filesystem::path ca_file;                 // empty = system CA store
  std::chrono::milliseconds interval{10'000};    // how often to look for files when idle
  std::chrono::milliseconds retry_min{1'000};    // backoff after a failed upload …
  std::chrono::milliseconds retry_max{300'000};  // … doubling up to this
  std::chrono::milliseconds timeout{60'000};     // one upload
};

struct AnalyticsConfig {
  bool enabled = false;
  std::filesystem::path dir;  // absolute
  // 0 = every event is written before its response completes (kill -9 loses none);
  // otherwise events wait in memory at most this long.
  std::chrono::milliseconds flush_interval{1'000};
  uint64_t rotate_bytes = 64ull << 20;
  std::chrono::milliseconds rotate_age{300'000};
  bool gzip = true;
  uint64_t max_disk_bytes = 1ull << 30;     // active + closed + outbox files
  uint64_t max_buffer_bytes = 64ull << 20;  // per worker, interval mode only
  AnalyticsUpload upload;
  std::string source;  // of the `analytics:` section ("" when absent)
};

struct GatewayConfig {
  std::vector<Listener> listeners;
  std::optional<SocketAddress> admin;  // no admin listener when absent
  std::string admin_address_text;
  std::string admin_token;         // bearer token for admin calls (from an env var or file)
  unsigned workers = 0;            // 0 = one per core ("auto")
  std::filesystem::path apis_dir;  // absolute
  Limits limits;
  AccessLog access_log;
  UpstreamTls upstream_tls;
  ForwardingPolicy forwarding;
  DnsConfig dns;
  SecurityConfig security;
  ThrottlingConfig throttling;
  AnalyticsConfig analytics;
  std::string node_id;  // gateway node id (hostname by default)
};

struct Snapshot {
  std::filesystem::path project_dir;
  std::filesystem::path config_file;  // project_dir / "postern.yaml"
  GatewayConfig gateway;
  std::vector<std::unique_ptr<Api>> apis;  // stable addresses: Route::api points here
  std::vector<Route> routes;               // Route::id == index
  router::RouteTable route_table;          // route_id -> routes[route_id]
  uint64_t generation = 0;                 // set by the server when published
};

}  // namespace postern::config
