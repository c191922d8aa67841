#include "filters/auth_filter.h"

#include "core/strings.h"

namespace postern::filters {
namespace {

constexpr std::string_view kBearerInvalid = "WWW-Authenticate: Bearer realm=\"postern\", error=\"invalid_token\"\r\n";
constexpr std::string_view kBasicChallenge = "WWW-Authenticate: Basic realm=\"postern\", charset=\"UTF-8\"\r\n";

void reject_with(Rejection& r, int status, int code, std::string_view message, std::string_view description,
                 std::string_view headers, std::string_view reason) {
  r.status = status;
  r.code = code;
  r.message = message;
  r.description = description;
  r.extra_headers = headers;
  r.reason = reason;
}

void invalid(Rejection& r, std::string_view headers, std::string_view reason) {
  // One answer for every failure: an unknown kid or user must look like a bad signature
  // or password from outside. The reason goes to the access log only.
  reject_with(r, 401, 900901, "Invalid Credentials", "Make sure you have provided the correct security credentials",
              headers, reason);
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

AuthFilter::AuthFilter(std::shared_ptr<const JwtAuthenticator> jwt, std::shared_ptr<const StaticCredentials> credentials,
                       std::shared_ptr<const config::RouteSecurity> security, const config::Api& api,
                       bool remove_credential, bool has_sandbox, bool key_manager)
    : jwt_(std::move(jwt)),
      credentials_(std::move(credentials)),
      security_(std::move(security)),
      api_name_(api.name),
      api_version_(api.version),
      remove_credential_(remove_credential),
      has_sandbox_(has_sandbox),
      key_manager_(key_manager) {
  if (security_->oauth2) challenge_missing_ += "WWW-Authenticate: Bearer realm=\"postern\"\r\n";
  if (security_->basic) challenge_missing_ += kBasicChallenge;
}

bool AuthFilter::api_listed(const std::vector<Identity::Subscription>& list, const Identity::Subscription** found) const {
  for (const auto& s : list) {
    if (s.name == api_name_ && (s.version.empty() || s.version == api_version_ || s.version == "*")) {
      if (found) *found = &s;
      return true;
    }
  }
  return false;
}

Decision AuthFilter::on_request(RequestContext& ctx, Rejection& reject) const {
  const auto& sec = *security_;
  std::string_view bearer, basic, api_key;
  std::string_view api_key_header, api_key_query;
  for (const auto& h : ctx.request.headers) {
    if (sec.oauth2 && bearer.empty() && h.name.size() == sec.auth_header.size() && iequals(h.name, sec.auth_header)) {
      if (starts_with_scheme(h.value, "Bearer")) bearer = trim(h.value.substr(7));
      else if (sec.auth_header != "authorization") bearer = h.value;  // a custom header may omit "Bearer "
    }
    if (sec.basic && basic.empty() && h.kind == http::HeaderKind::kOther && h.name.size() == 13 &&
        iequals(h.name, "authorization") && starts_with_scheme(h.value, "Basic")) {
      basic = trim(h.value.substr(6));
    }
    for (const auto& k : sec.api_keys) {
      if (!k.in_query && api_key.empty() && h.name.size() == k.name.size() && iequals(h.name, k.name)) {
        api_key = h.value;
        api_key_header = k.name;
      }
    }
  }
  thread_local std::string query_key;
  if (api_key.empty() && ctx.request.has_query) {
    for (const auto& k : sec.api_keys) {
      if (k.in_query && query_param(ctx.request.query, k.name, query_key)) {
        api_key = query_key;
        api_key_query = k.name;
        break;
      }
    }
  }

  std::shared_ptr<const Identity> identity;
  const config::StaticApiKey* static_key = nullptr;
  const bool have_cert = !ctx.client_cert_subject.empty();
  if (sec.mutual_ssl == "mandatory" && !have_cert) {
    invalid(reject, {}, "mtls_required");
    return Decision::kReject;
  }
  const bool cert_suffices =
      have_cert && (sec.mutual_ssl == "optional" || (sec.mutual_ssl == "mandatory" && sec.application_optional));
  if (cert_suffices && bearer.empty() && basic.empty() && api_key.empty()) {
    auto id = std::make_shared<Identity>();
    id->scheme = "mtls";
    id->subject = std::string(ctx.client_cert_subject);
    identity = std::move(id);
  } else if (!bearer.empty() && key_manager_ && !looks_like_jwt(bearer)) {
    // An opaque token: only the key manager knows it.
    if (remove_credential_) ctx.strip_header = sec.auth_header;
    ctx.introspect_token = bearer;
    return Decision::kIntrospect;
  } else if (!bearer.empty()) {
    if (!jwt_ || !jwt_->has_issuers()) {
      invalid(reject, kBearerInvalid, "no_issuer_configured");
      return Decision::kReject;
    }
    auto res = jwt_->authenticate(bearer, ctx.worker_id, ctx.now_unix);
    if (res.outcome == JwtAuthenticator::Outcome::kExpired) {
      reject_with(reject, 401, 900903, "Expired Credentials", "The access token has expired; obtain a new one",
                  kBearerInvalid, res.reason);
      return Decision::kReject;
    }
    if (res.outcome != JwtAuthenticator::Outcome::kOk) {
      invalid(reject, kBearerInvalid, res.reason);
      return Decision::kReject;
    }
    identity = std::move(res.identity);
    if (remove_credential_) ctx.strip_header = sec.auth_header;
  } else if (!basic.empty()) {
    auto res = credentials_->lookup_basic(basic, ctx.worker_id, ctx.now_unix);
    if (remove_credential_) ctx.strip_header = "authorization";
    if (res.check) {
      ctx.password_check = std::move(res.check);
      return Decision::kCheckPassword;
    }
    if (!res.ok) {
      invalid(reject, kBasicChallenge, res.reason);
      return Decision::kReject;
    }
    identity = std::move(res.identity);
    if (remove_credential_) ctx.strip_header = "authorization";
  } else if (!api_key.empty()) {
    if (looks_like_jwt(api_key)) {  // a WSO2 API key: a JWT from a configured issuer
      auto res = jwt_ ? jwt_->authenticate(api_key, ctx.worker_id, ctx.now_unix) : JwtAuthenticator::Result{};
      if (res.outcome == JwtAuthenticator::Outcome::kExpired) {
        reject_with(reject, 401, 900903, "Expired Credentials", "The API key has expired", {}, res.reason);
        return Decision::kReject;
      }
      if (res.outcome != JwtAuthenticator::Outcome::kOk) {
        invalid(reject, {}, res.reason);
        return Decision::kReject;
      }
      identity = std::move(res.identity);
      if (identity->has_allowed_apis && !api_listed(identity->allowed_apis, nullptr)) {
        reject_with(reject, 403, 900908, "Resource forbidden", "The API key is not allowed to access this API", {},
                    "api_not_allowed");
        return Decision::kReject;
      }
    } else {
      auto res = credentials_->check_api_key(api_key);
      if (!res.ok) {
        invalid(reject, {}, res.reason);
        return Decision::kReject;
      }
      static_key = res.api_key;
      identity = std::move(res.identity);
    }
    if (remove_credential_) {
      if (!api_key_header.empty()) ctx.strip_header = api_key_header;
      else ctx.strip_query_param = api_key_query;
    }
  } else {
    reject_with(reject, 401, 900902, "Missing Credentials",
                "Make sure your API invocation call has a header: 'Authorization: Bearer ACCESS_TOKEN'"
                " (or the credential the API asks for)",
                challenge_missing_, "missing_credentials");
    return Decision::kReject;
  }

  return authorize(ctx, std::move(identity), static_key, reject);
}

Decision AuthFilter::on_identity(RequestContext& ctx, std::shared_ptr<const Identity> identity,
                                 Rejection& reject) const {
  return authorize(ctx, std::move(identity), nullptr, reject);
}

Decision AuthFilter::on_password_checked(RequestContext& ctx, const PasswordCheck& check, bool matched,
                                         Rejection& reject) const {
  auto res = credentials_->finish_basic(check, matched, ctx.worker_id, ctx.now_unix);
  if (!res.ok) {
    invalid(reject, kBasicChallenge, res.reason);
    return Decision::kReject;
  }
  return authorize(ctx, std::move(res.identity), nullptr, reject);
}

Decision AuthFilter::authorize(RequestContext& ctx, std::shared_ptr<const Identity> identity,
                               const config::StaticApiKey* static_key, Rejection& reject) const {
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
      reject_with(reject, 403, 900910, "The access token does not allow you to access the requested resource",
                  "The resource requires one of these scopes: " + needed,
                  id.scheme == "jwt" ? "WWW-Authenticate: Bearer realm=\"postern\", error=\"insufficient_scope\"\r\n"
                                     : "",
                  "scope");
      return Decision::kReject;
    }
  }
  if (static_key && !static_key->apis.empty()) {
    bool ok = false;
    for (const auto& a : static_key->apis) {
      size_t colon = a.rfind(':');
      std::string_view name = colon == std::string::npos ? std::string_view(a) : std::string_view(a).substr(0, colon);
      std::string_view version = colon == std::string::npos ? std::string_view("*") : std::string_view(a).substr(colon + 1);
      ok = ok || (name == api_name_ && (version == "*" || version == api_version_));
    }
    if (!ok) {
      reject_with(reject, 403, 900908, "Resource forbidden", "The API key is not allowed to access this API", {},
                  "api_not_allowed");
      return Decision::kReject;
    }
  }
  if (static_key) ctx.subscription_tier = id.subscription_tier;
  if (id.validate_subscription) {
    const Identity::Subscription* found = nullptr;
    if (!api_listed(id.subscriptions, &found)) {
      reject_with(reject, 403, 900908, "Resource forbidden",
                  "User is NOT authorized to access the Resource. API Subscription validation failed.", {},
                  "not_subscribed");
      return Decision::kReject;
    }
    ctx.subscription_tier = found->tier;
  }
  if (id.sandbox && !has_sandbox_) {
    reject_with(reject, 403, 900908, "Resource forbidden",
                "A sandbox key was used, but the API has no sandbox endpoints", {}, "no_sandbox_endpoints");
    return Decision::kReject;
  }
  ctx.use_sandbox = id.sandbox;
  ctx.identity = std::move(identity);
  return Decision::kContinue;
}

}  // namespace postern::filters
