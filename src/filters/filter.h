#pragma once
// Request filters: the policies a route runs between routing and forwarding (design.md
// "Filter contract"). A filter object is built once per route from the validated config
// and is immutable; per-request state lives in RequestContext, per-worker state (caches)
// is indexed by the worker id the context carries.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/snapshot.h"
#include "http/head_parser.h"
#include "throttle/block_list.h"

namespace postern::filters {

// Who the caller is, once authentication succeeded. Handed to later filters (throttling)
// and to analytics.
struct Identity {
  std::string scheme;            // "jwt"
  std::string issuer;            // configured issuer name
  std::string subject;           // `sub`
  std::string consumer_key;      // the OAuth2 client (issuer.consumer_key_claim)
  std::string application_id;    // WSO2 `application` claim
  std::string application_name;
  std::string application_tier;
  std::string subscription_tier;  // from the matching subscribedAPIs entry
  std::string jti;
  bool sandbox = false;           // keytype SANDBOX
  std::vector<std::string> scopes;
  int64_t expires_at = 0;         // unix seconds (`exp`)
  // WSO2 subscriptions (the `subscribedAPIs` claim), checked per API when the issuer has
  // validate_subscription on.
  struct Subscription {
    std::string name;
    std::string version;  // "*" = any
    std::string tier;
  };
  bool validate_subscription = false;
  std::vector<Subscription> subscriptions;
  // WSO2 API-key tokens: `allowedAPIs` (checked when present).
  bool has_allowed_apis = false;
  std::vector<Subscription> allowed_apis;
  // Claims the configuration asked for by name (throttling `key: claim:NAME`), as text.
  std::vector<std::pair<std::string, std::string>> claims;
  const std::string* claim(std::string_view name) const {
    for (const auto& [n, v] : claims)
      if (n == name) return &v;
    return nullptr;
  }
};

// A reply the gateway sends instead of forwarding. `reason` is short and stable (access
// log, metrics, analytics) and never sent to the caller.
struct Rejection {
  int status = 0;
  int code = 0;                 // WSO2 error code (900901 …)
  std::string message;
  std::string description;
  std::string extra_headers;    // "Name: value\r\n" lines (WWW-Authenticate)
  std::string_view reason;
};

// A Basic password to verify off the worker (scrypt costs ~50 ms of CPU by design). Owns
// copies of everything it needs: it may outlive the request on the checking thread.
struct PasswordCheck {
  std::array<uint8_t, 32> cache_key{};  // SHA-256 of the credential (TokenDigest), for the cache
  std::string user;
  std::string password;
  std::string hash;              // the user's stored hash, or a dummy one for unknown users
  bool known_user = false;
};

// A byte quota to charge once the response is done (bandwidth tiers).
struct ByteCharge {
  std::string key;
  const config::ThrottleTier* tier = nullptr;
};

struct RequestContext {
  RequestContext(const http::RequestHead& request, std::string_view path, const config::Route& route,
                 unsigned worker_id, int64_t now_ms)
      : request(request), path(path), route(route), worker_id(worker_id), now_unix(now_ms / 1000), now_ms(now_ms) {}
  const http::RequestHead& request;
  std::string_view path;          // normalized
  const config::Route& route;
  unsigned worker_id = 0;
  int64_t now_unix = 0;           // seconds
  int64_t now_ms = 0;             // Unix milliseconds
  std::string_view client_ip;
  // Headers for the client's response whatever it is (RateLimit-*); "Name: value\r\n" lines.
  std::string* response_headers = nullptr;
  std::vector<ByteCharge>* byte_charges = nullptr;
  const throttle::BlockList* block_list = nullptr;  // the worker's current one
  std::string_view client_cert_subject;  // verified TLS client certificate's subject DN, or empty
  std::shared_ptr<const Identity> identity;  // set by an authentication filter
  std::string_view subscription_tier;  // of the subscription that let the call in
  std::string_view strip_header;  // lower-case name of a credential header not to forward
  std::string_view strip_query_param;  // a credential query parameter not to forward
  // A header the gateway adds for the backend (the backend JWT); a client-sent header of
  // the same name is never forwarded. The value stays valid until the next request on
  // this worker: copy it before suspending.
  std::string_view add_header_name;
  std::string_view add_header_value;
  bool use_sandbox = false;       // route to the sandbox endpoints (sandbox key)
  std::string_view introspect_token;  // with Decision::kIntrospect
  std::shared_ptr<PasswordCheck> password_check;  // with Decision::kCheckPassword
};

enum class Decision : uint8_t {
  kContinue,    // go on to the next filter, then the backend
  kReject,      // answer with the Rejection the filter filled in
  kIntrospect,  // an opaque token (ctx.introspect_token) must be asked of the key manager;
                // the server does that without blocking the worker, then calls on_identity()
  kCheckPassword,  // ctx.password_check must be verified on the password-check threads;
                   // then the server calls on_password_checked() on the worker
};

class RequestFilter {
 public:
  virtual ~RequestFilter() = default;
  virtual Decision on_request(RequestContext& ctx, Rejection& reject) const = 0;
  // After kIntrospect: the key manager's answer as an identity. Returns kContinue or kReject.
  virtual Decision on_identity(RequestContext& ctx, std::shared_ptr<const Identity> identity,
                               Rejection& reject) const {
    return Decision::kContinue;
  }
  // After kCheckPassword: whether the password matched. Returns kContinue or kReject.
  virtual Decision on_password_checked(RequestContext& ctx, const PasswordCheck& check, bool matched,
                                       Rejection& reject) const {
    return Decision::kContinue;
  }
};

using FilterChain = std::vector<std::shared_ptr<const RequestFilter>>;

}  // namespace postern::filters
