#include "filters/auth/introspector.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/strings.h"
#include "jose/base64url.h"
#include "jose/claims.h"
#include "upstream/http_get.h"

namespace postern::filters {
namespace {

constexpr size_t kMaxCached = 100'000;  // per worker

std::string form_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(char(c));
    } else {
      out.push_back('%');
      append_hex(out, c, 2);
    }
  }
  return out;
}

std::string basic_auth(std::string_view id, std::string_view secret) {
  // Standard base64 with padding, from the base64url encoder.
  std::string raw = std::string(id) + ":" + std::string(secret);
  std::string b = jose::base64url_encode(raw);
  for (char& c : b) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (b.size() % 4) b.push_back('=');
  return b;
}

std::string digest_key(std::string_view token) {
  auto d = digest_token(token);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

}  // namespace

net::awaitable<Introspector::Result> Introspector::introspect(std::string token) {
  std::string key = digest_key(token);
  const SteadyTime now = std::chrono::steady_clock::now();
  if (auto it = cache_.find(key); it != cache_.end()) {
    if (now < it->second.until) co_return it->second.result;
    cache_.erase(it);
  }
  std::shared_ptr<Pending> p;
  if (auto it = pending_.find(key); it != pending_.end()) {
    p = it->second;  // another request is asking already: wait for its answer
  } else {
    p = std::make_shared<Pending>(loop_);
    pending_.emplace(key, p);
    net::asio::co_spawn(loop_, lead(std::move(token), std::move(key), p), net::asio::detached);
  }
  while (!p->finished) {
    net::error_code ec;
    co_await p->done.async_wait(net::with_ec(ec));
    auto cs = co_await net::asio::this_coro::cancellation_state;
    if (!p->finished && cs.cancelled() != net::asio::cancellation_type::none) {
      Result gone;
      gone.reason = "cancelled";
      co_return gone;
    }
  }
  co_return p->result;
}

net::awaitable<void> Introspector::lead(std::string token, std::string key, std::shared_ptr<Pending> p) {
  auto self = shared_from_this();  // the worker may drop its slots (a reload) meanwhile
  const SteadyTime started = std::chrono::steady_clock::now();
  Result r = co_await call(token);
  p->result = r;
  p->finished = true;
  pending_.erase(key);
  p->done.cancel();
  const auto& km = config_->gateway.security.key_manager;
  SteadyTime until = started;
  if (r.kind == Result::Kind::kActive) {
    until = started + km.cache_active_max;
    if (r.identity->expires_at > 0) {
      int64_t left = r.identity->expires_at - SystemClock::instance().unix_micros() / 1'000'000;
      until = std::min(until, started + std::chrono::seconds(std::max<int64_t>(left, 0)));
    }
  } else if (r.kind == Result::Kind::kInactive) {
    until = started + km.cache_inactive;
  }
  if (until > started) {
    if (cache_.size() >= kMaxCached) cache_.clear();  // bounded; refilled on demand
    cache_[key] = Cached{r, until};
  }
}

net::awaitable<Introspector::Result> Introspector::call(const std::string& token) {
  const auto& km = config_->gateway.security.key_manager;
  Result r;
  std::string headers = "Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n";
  if (!km.client_id.empty()) headers += "Authorization: Basic " + basic_auth(km.client_id, km.client_secret) + "\r\n";
  auto res = co_await upstream::http_fetch("POST", km.introspection_url, headers,
                                           "token=" + form_escape(token) + "&token_type_hint=access_token", client_tls_,
                                           km.timeout, 64 * 1024);
  if (!res.ok) {
    log::warn("key manager {}: {}", km.introspection_url, res.error);
    r.reason = "key_manager_unavailable";
    co_return r;
  }
  jose::JwtClaims c;
  if (jose::parse_claims_json(res.body, c) != jose::JwtError::kNone) {
    log::warn("key manager {}: unusable introspection response", km.introspection_url);
    r.reason = "key_manager_bad_response";
    co_return r;
  }
  if (c.claim_as_string("active").value_or("false") != "true") {
    r.kind = Result::Kind::kInactive;
    r.reason = "inactive_token";
    co_return r;
  }
  int64_t now = SystemClock::instance().unix_micros() / 1'000'000;
  if (c.exp && *c.exp <= now) {
    r.kind = Result::Kind::kExpired;
    r.reason = "expired";
    co_return r;
  }
  auto id = std::make_shared<Identity>();
  id->scheme = "opaque";
  id->issuer = "key_manager";
  id->subject = c.claim_as_string("username").value_or(c.sub.value_or(""));
  id->consumer_key = c.client_id.value_or(c.consumer_key.value_or(""));
  id->scopes = c.scopes;
  id->expires_at = c.exp.value_or(0);
  id->sandbox = c.keytype && iequals(*c.keytype, "SANDBOX");
  if (c.application) {
    id->application_id = c.application->id;
    id->application_name = c.application->name;
    id->application_tier = c.application->tier;
  }
  id->validate_subscription = km.validate_subscription;
  for (const auto& s : c.subscribed_apis) id->subscriptions.push_back({s.name, s.version, s.subscription_tier});
  r.kind = Result::Kind::kActive;
  r.identity = std::move(id);
  co_return r;
}

}  // namespace postern::filters
