#include "filters/auth/auth_filter.h"

#include <memory>

#include "core/strings.h"
#include "filters/subscription.h"

namespace postern::filters {
namespace {

constexpr std::string_view kBearerInvalid = "WWW-Authenticate: Bearer realm=\"postern\", error=\"invalid_token\"\r\n";
constexpr std::string_view kBasicChallenge = "WWW-Authenticate: Basic realm=\"postern\", charset=\"UTF-8\"\r\n";

FilterStatus reject(RequestContext& ctx, int status, int code, std::string_view message, std::string_view description,
                    std::string_view headers, std::string_view reason) {
  ReplyReason metric = status == 401   ? ReplyReason::kUnauthorized
                       : status == 403 ? ReplyReason::kForbidden
                                       : ReplyReason::kUnavailable;
  ctx.reply = error_reply(status, code, message, description, metric, ErrorSource::kAuth, reason);
  ctx.reply.headers = headers;
  return FilterStatus::kReply;
}

FilterStatus invalid(RequestContext& ctx, std::string_view headers, std::string_view reason) {
  // One answer for every failure: an unknown kid or user must look like a bad signature
  // or password from outside. The reason goes to the access log only.
  return reject(ctx, 401, 900901, "Invalid Credentials", "Make sure you have provided the correct security credentials",
                headers, reason);
}

// What the filter keeps for one request (RequestContext::data).
struct AuthState {
  std::string cert_subject;  // a certificate forwarded by a trusted load balancer
  enum class Waiting : uint8_t { kNone, kIntrospection, kPassword } waiting = Waiting::kNone;
  Introspector::Result introspection;
  std::shared_ptr<PasswordCheck> check;
  PasswordChecker::Outcome outcome;
};

net::awaitable<void> wait_for_introspection(Introspector& introspector, std::string token, AuthState& out) {
  out.introspection = co_await introspector.introspect(std::move(token));
}

net::awaitable<void> wait_for_password_check(PasswordChecker& checker, net::asio::io_context& loop, AuthState& out) {
  out.outcome = co_await checker.check(loop, out.check);
}

bool starts_with_scheme(std::string_view v, std::string_view scheme) {
  return v.size() > scheme.size() && iequals(v.substr(0, scheme.size()), scheme) && v[scheme.size()] == ' ';
}

// The value of query parameter `name`, percent-decoded into `out`; false when absent.
bool query_param(std::string_view query, std::string_view name, std::string& out) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    size_t eq = kv.find('=');
    if (kv.substr(0, eq) == name && eq != std::string_view::npos) {
      out.clear();
      std::string_view v = kv.substr(eq + 1);
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%' && i + 2 < v.size()) {
          auto hex = [](char c) { return c <= '9' ? c - '0' : (c | 32) - 'a' + 10; };
          out.push_back(char(hex(v[i + 1]) * 16 + hex(v[i + 2])));
          i += 2;
        } else {
          out.push_back(v[i] == '+' ? ' ' : v[i]);
        }
      }
      return true;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

bool looks_like_jwt(std::string_view v) {
  size_t first = v.find('.');
  return first != std::string_view::npos && v.find('.', first + 1) != std::string_view::npos;
}

}  // namespace

std::shared_ptr<const Filter> AuthFilter::for_route(const FilterServices& services, const config::Route& route) {
  if (!route.security || route.security->disabled || !route.api) return nullptr;
  return std::make_shared<AuthFilter>(services, route.security, *route.api, route.sandbox != nullptr);
}

AuthFilter::AuthFilter(const FilterServices& services, std::shared_ptr<const config::RouteSecurity> security,
                       const config::Api& api, bool has_sandbox)
    : jwt_(services.jwt),
      credentials_(services.credentials),
      client_cert_header_(services.client_cert_header),
      client_cert_header_name_(services.snapshot->gateway.security.client_cert_header.header),
      password_checker_(services.password_checker),
      introspector_(services.introspector),
      security_(std::move(security)),
      api_name_(api.name),
      api_version_(api.version),
      remove_credential_(services.snapshot->gateway.security.remove_credential_header),
      has_sandbox_(has_sandbox) {
  if (security_->oauth2) challenge_missing_ += "WWW-Authenticate: Bearer realm=\"postern\"\r\n";
  if (security_->basic) challenge_missing_ += kBasicChallenge;
}

struct AuthFilter::Credentials {
  std::string_view bearer, basic, api_key;
  std::string_view api_key_header, api_key_query;
};

AuthFilter::Credentials AuthFilter::find_credentials(const RequestContext& ctx) const {
  const auto& sec = *security_;
  Credentials c;
  for (const auto& h : ctx.request.headers) {
    if (sec.oauth2 && c.bearer.empty() && h.name.size() == sec.auth_header.size() && iequals(h.name, sec.auth_header)) {
      if (starts_with_scheme(h.value, "Bearer")) c.bearer = trim(h.value.substr(7));
      else if (sec.auth_header != "authorization") c.bearer = h.value;  // a custom header may omit "Bearer "
    }
    if (sec.basic && c.basic.empty() && h.kind == http::HeaderKind::kOther && h.name.size() == 13 &&
        iequals(h.name, "authorization") && starts_with_scheme(h.value, "Basic")) {
      c.basic = trim(h.value.substr(6));
    }
    for (const auto& k : sec.api_keys) {
      if (!k.in_query && c.api_key.empty() && h.name.size() == k.name.size() && iequals(h.name, k.name)) {
        c.api_key = h.value;
        c.api_key_header = k.name;
      }
    }
  }
  thread_local std::string query_key;
  if (c.api_key.empty() && ctx.request.has_query) {
    for (const auto& k : sec.api_keys) {
      if (k.in_query && query_param(ctx.request.query, k.name, query_key)) {
        c.api_key = query_key;
        c.api_key_query = k.name;
        break;
      }
    }
  }
  return c;
}

// The verified client certificate: from the TLS handshake, or behind a TLS-terminating
// load balancer the one it forwards (only from a trusted proxy, only for APIs that use
// mutual TLS, verified like a handshake's).
std::string_view AuthFilter::client_certificate(RequestContext& ctx) const {
  if (!ctx.client_cert_subject.empty() || !ctx.trusted_peer || !client_cert_header_ || security_->mutual_ssl.empty())
    return ctx.client_cert_subject;
  for (const auto& h : ctx.request.headers) {
    if (h.name.size() == client_cert_header_name_.size() && iequals(h.name, client_cert_header_name_)) {
      std::string& subject = ctx.data<AuthState>().cert_subject;
      subject = client_cert_header_->verify(h.value);
      ctx.client_cert_subject = subject;
      break;
    }
  }
  return ctx.client_cert_subject;
}

FilterStatus AuthFilter::on_request(RequestContext& ctx) const {
  const auto& sec = *security_;
  const Credentials c = find_credentials(ctx);
  const bool have_cert = !client_certificate(ctx).empty();
  if (sec.mutual_ssl == "mandatory" && !have_cert) return invalid(ctx, {}, "mtls_required");
  const bool cert_suffices = have_cert && (sec.mutual_ssl == "optional" ||
                                           (sec.mutual_ssl == "mandatory" && sec.application_optional));
  if (cert_suffices && c.bearer.empty() && c.basic.empty() && c.api_key.empty()) {
    auto id = std::make_shared<Identity>();
    id->scheme = "mtls";
    id->subject = std::string(ctx.client_cert_subject);
    return authorize(ctx, std::move(id), nullptr);
  }
  if (!c.bearer.empty()) {
    if (remove_credential_) ctx.upstream_headers.remove(sec.auth_header);
    // An opaque token: only the key manager knows it.
    if (introspector_.valid() && !looks_like_jwt(c.bearer)) return introspect(ctx, c.bearer);
    return authenticate_jwt(ctx, c.bearer, false);
  }
  if (!c.basic.empty()) {
    if (remove_credential_) ctx.upstream_headers.remove("authorization");
    return check_basic(ctx, c.basic);
  }
  if (!c.api_key.empty()) {
    if (remove_credential_) {
      if (!c.api_key_header.empty()) ctx.upstream_headers.remove(c.api_key_header);
      else ctx.strip_query_param = c.api_key_query;
    }
    if (looks_like_jwt(c.api_key)) return authenticate_jwt(ctx, c.api_key, true);  // a WSO2 API key
    return check_static_key(ctx, c.api_key);
  }
  return reject(ctx, 401, 900902, "Missing Credentials",
                "Make sure your API invocation call has a header: 'Authorization: Bearer ACCESS_TOKEN'"
                " (or the credential the API asks for)",
                challenge_missing_, "missing_credentials");
}

FilterStatus AuthFilter::authenticate_jwt(RequestContext& ctx, std::string_view token, bool api_key) const {
  if (!jwt_ || !jwt_->has_issuers()) return invalid(ctx, api_key ? "" : kBearerInvalid, "no_issuer_configured");
  auto res = jwt_->authenticate(token, ctx.slots, ctx.now_unix);
  if (res.outcome == JwtAuthenticator::Outcome::kExpired) {
    return reject(ctx, 401, 900903, "Expired Credentials",
                  api_key ? "The API key has expired" : "The access token has expired; obtain a new one",
                  api_key ? "" : kBearerInvalid, res.reason);
  }
  if (res.outcome != JwtAuthenticator::Outcome::kOk) return invalid(ctx, api_key ? "" : kBearerInvalid, res.reason);
  if (api_key && res.identity->has_allowed_apis &&
      !find_subscription(res.identity->allowed_apis, api_name_, api_version_)) {
    return reject(ctx, 403, 900908, "Resource forbidden", "The API key is not allowed to access this API", {},
                  "api_not_allowed");
  }
  return authorize(ctx, std::move(res.identity), nullptr);
}

FilterStatus AuthFilter::introspect(RequestContext& ctx, std::string_view token) const {
  auto& state = ctx.data<AuthState>();
  state.waiting = AuthState::Waiting::kIntrospection;
  Introspector& introspector = ctx.slots.get(introspector_);
  ctx.wait = wait_for_introspection(introspector, std::string(token), state);
  return FilterStatus::kWait;
}

FilterStatus AuthFilter::check_basic(RequestContext& ctx, std::string_view value) const {
  auto res = credentials_->lookup_basic(value, ctx.slots, ctx.now_unix);
  if (res.check) {
    // Not verified before: scrypt runs on the checking threads while this request waits
    // and the worker serves others.
    auto& state = ctx.data<AuthState>();
    state.waiting = AuthState::Waiting::kPassword;
    state.check = std::move(res.check);
    ctx.wait = wait_for_password_check(*password_checker_, ctx.slots.loop(), state);
    return FilterStatus::kWait;
  }
  if (!res.ok) return invalid(ctx, kBasicChallenge, res.reason);
  return authorize(ctx, std::move(res.identity), nullptr);
}

FilterStatus AuthFilter::check_static_key(RequestContext& ctx, std::string_view key) const {
  auto res = credentials_->check_api_key(key);
  if (!res.ok) return invalid(ctx, {}, res.reason);
  return authorize(ctx, std::move(res.identity), res.api_key);
}

FilterStatus AuthFilter::on_resume(RequestContext& ctx) const {
  auto& state = ctx.data<AuthState>();
  if (state.waiting == AuthState::Waiting::kIntrospection) {
    const Introspector::Result& r = state.introspection;
    using K = Introspector::Result::Kind;
    switch (r.kind) {
      case K::kActive: return authorize(ctx, r.identity, nullptr);
      case K::kExpired:
        return reject(ctx, 401, 900903, "Expired Credentials", "The access token has expired", kBearerInvalid,
                      r.reason);
      case K::kInactive: return invalid(ctx, kBearerInvalid, r.reason);
      case K::kUnavailable:
        return reject(ctx, 503, 503, "Service Unavailable",
                      "the key manager could not validate the access token; retry later", "Retry-After: 5\r\n",
                      r.reason);
    }
  }
  if (!state.outcome.ran) {
    return reject(ctx, 503, 503, "Service Unavailable", "Too many password checks right now; retry shortly",
                  "Retry-After: 1\r\n", "basic_busy");
  }
  auto res = credentials_->finish_basic(*state.check, state.outcome.matched, ctx.slots, ctx.now_unix);
  if (!res.ok) return invalid(ctx, kBasicChallenge, res.reason);
  return authorize(ctx, std::move(res.identity), nullptr);
}

FilterStatus AuthFilter::authorize(RequestContext& ctx, std::shared_ptr<const Identity> identity,
                                   const config::StaticApiKey* static_key) const {
  const auto& sec = *security_;
  const Identity& id = *identity;
  if (!sec.scopes.empty()) {
    bool ok = false;
    for (const auto& need : sec.scopes) {
      for (const auto& have : id.scopes) ok = ok || have == need;
    }
    if (!ok) {
      std::string needed;
      for (const auto& x : sec.scopes) needed += (needed.empty() ? "" : " ") + x;
      return reject(ctx, 403, 900910, "The access token does not allow you to access the requested resource",
                    "The resource requires one of these scopes: " + needed,
                    id.scheme == "jwt" ? "WWW-Authenticate: Bearer realm=\"postern\", error=\"insufficient_scope\"\r\n"
                                       : "",
                    "scope");
    }
  }
  if (static_key && !static_key->apis.empty()) {
    bool ok = false;
    for (const auto& a : static_key->apis) {
      size_t colon = a.rfind(':');
      std::string_view name = colon == std::string::npos ? std::string_view(a) : std::string_view(a).substr(0, colon);
      std::string_view version = colon == std::string::npos ? std::string_view("*")
                                                            : std::string_view(a).substr(colon + 1);
      ok = ok || (name == api_name_ && (version == "*" || version == api_version_));
    }
    if (!ok) {
      return reject(ctx, 403, 900908, "Resource forbidden", "The API key is not allowed to access this API", {},
                    "api_not_allowed");
    }
  }
  if (static_key) ctx.subscription_tier = id.subscription_tier;
  if (id.validate_subscription) {
    const Identity::Subscription* found = find_subscription(id.subscriptions, api_name_, api_version_);
    if (found == nullptr) {
      return reject(ctx, 403, 900908, "Resource forbidden",
                    "User is NOT authorized to access the Resource. API Subscription validation failed.", {},
                    "not_subscribed");
    }
    ctx.subscription_tier = found->tier;
  }
  if (id.sandbox && !has_sandbox_) {
    return reject(ctx, 403, 900908, "Resource forbidden",
                  "A sandbox key was used, but the API has no sandbox endpoints", {}, "no_sandbox_endpoints");
  }
  ctx.use_sandbox = id.sandbox;
  ctx.identity = std::move(identity);
  return FilterStatus::kContinue;
}

}  // namespace postern::filters
