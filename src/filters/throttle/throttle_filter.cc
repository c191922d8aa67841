#include "filters/throttle/throttle_filter.h"

#include <array>

#include "core/strings.h"
#include "filters/subscription.h"
#include "throttle/window.h"

namespace postern::filters {

namespace {

constexpr size_t kLongValue = 128;

// Appends a consumer value to a key; very long values (a header an attacker picks) are
// replaced by a 128-bit digest so keys stay small and the memory bound meaningful.
void append_value(std::string& key, std::string_view v) {
  key += '|';
  if (v.size() <= kLongValue) {
    key.append(v);
    return;
  }
  uint64_t fnv = 0xcbf29ce484222325ull;
  for (unsigned char c : v) fnv = (fnv ^ c) * 0x100000001b3ull;
  key += '#';
  append_hex(key, fnv, 16);
  append_hex(key, std::hash<std::string_view>{}(v), 16);
}

struct Taken {
  std::string key;
  throttle::Quota quota;
};

void rate_limit_headers(std::string& out, const throttle::Verdict& v, const std::string& policy) {
  out += "RateLimit-Limit: ";
  append_decimal(out, v.limit);
  out += "\r\nRateLimit-Remaining: ";
  append_decimal(out, v.remaining);
  out += "\r\nRateLimit-Reset: ";
  append_decimal(out, uint64_t(throttle::ceil_seconds(v.reset_ms)));
  out += "\r\nRateLimit-Policy: ";
  out += policy;
  out += "\r\n";
}

void rate_limit_headers(http::HeaderEdits& out, const throttle::Verdict& v, const std::string& policy) {
  std::string n;
  append_decimal(n, v.limit);
  out.add("RateLimit-Limit", n);
  n.clear();
  append_decimal(n, v.remaining);
  out.add("RateLimit-Remaining", n);
  n.clear();
  append_decimal(n, uint64_t(throttle::ceil_seconds(v.reset_ms)));
  out.add("RateLimit-Reset", n);
  out.add("RateLimit-Policy", policy);
}

// A byte quota to charge once the response is done (bandwidth tiers).
struct ByteCharge {
  std::string key;
  const config::ThrottleTier* tier = nullptr;
};
using ByteCharges = std::vector<ByteCharge>;

}  // namespace

std::shared_ptr<const Filter> ThrottleFilter::for_route(const FilterServices& services, const config::Route& route) {
  // Every route of an API gets one when throttling is on: subscription and application
  // tiers come from tokens, and a route whose levels are all Unlimited costs little.
  if (!services.throttle_store || !route.api) return nullptr;
  return std::make_shared<ThrottleFilter>(services.throttle_store, services.snapshot->gateway.throttling, route);
}

ThrottleFilter::ThrottleFilter(std::shared_ptr<throttle::CounterStore> store, const config::ThrottlingConfig& config,
                               const config::Route& route)
    : store_(std::move(store)), config_(config), route_(route) {
  api_id_ = route.api->name + ":" + route.api->version;
  api_key_ = "api|" + api_id_;
  resource_key_ = "res|" + route.method_text + " " + route.full_template;
}

bool ThrottleFilter::consumer_suffix(const config::ThrottleTier& t, const RequestContext& ctx, std::string& key) const {
  using K = config::ThrottleTier::KeyBy;
  switch (t.key_by) {
    case K::kDefault: return true;
    case K::kClientIp: append_value(key, ctx.client_ip); return true;
    case K::kHeader: {
      std::string_view value;
      for (const auto& h : ctx.request.headers) {
        if (h.name.size() == t.key_name.size() && iequals(h.name, t.key_name)) {
          value = h.value;
          break;
        }
      }
      append_value(key, value);  // requests without the header share one quota
      return true;
    }
    case K::kClaim: {
      const std::string* v = ctx.identity ? ctx.identity->claim(t.key_name) : nullptr;
      append_value(key, v ? std::string_view(*v) : std::string_view());
      return true;
    }
  }
  return true;
}

const config::ThrottleTier* ThrottleFilter::subscription_tier(const RequestContext& ctx, std::string& key) const {
  const Identity* id = ctx.identity.get();
  // The tier first: an Unlimited level (the common case for open routes and tokens without
  // tiers) costs no key building.
  std::string_view name;
  if (id == nullptr) {
    // WSO2: unauthenticated calls use the Unauthenticated tier, one quota per client IP.
    name = config_.unauthenticated_tier;
  } else {
    name = ctx.subscription_tier;
    if (name.empty()) name = id->subscription_tier;
    if (name.empty()) {
      const std::string& api = route_.api->name;
      const std::string& ver = route_.api->version;
      if (const auto* s = find_subscription(id->subscriptions, api, ver)) name = s->tier;
    }
    if (name.empty()) name = config_.default_subscription_tier;
    if (name.empty()) return nullptr;
  }
  auto it = config_.subscription.find(name);
  if (it == config_.subscription.end()) {
    // A tier the token names but the gateway does not know: the Default tier applies
    // (WSO2 would fail the call with 900809; docs/throttling.md).
    it = config_.subscription.find("Default");
    if (it == config_.subscription.end()) return nullptr;
  }
  if (it->second.unlimited) return nullptr;
  key = "sub|";
  if (id == nullptr) {
    key += "ip:";
    key.append(ctx.client_ip);
  } else {
    key += !id->application_id.empty() ? id->application_id
           : !id->consumer_key.empty() ? id->consumer_key
                                       : id->subject;
  }
  key += '|';
  key += api_id_;
  return &it->second;
}

const config::ThrottleTier* ThrottleFilter::application_tier(const RequestContext& ctx, std::string& key) const {
  const Identity* id = ctx.identity.get();
  if (id == nullptr || id->application_tier.empty()) return nullptr;
  auto it = config_.application.find(id->application_tier);
  if (it == config_.application.end() || it->second.unlimited) return nullptr;
  key = "app|";
  key += !id->application_id.empty() ? id->application_id : id->consumer_key;
  key += '|';
  key += id->subject;
  return &it->second;
}

FilterStatus ThrottleFilter::on_request(RequestContext& ctx) const {
  std::array<Taken, 8> taken;
  size_t n_taken = 0;
  std::string policy;
  throttle::Verdict tightest;
  bool have_tightest = false;

  auto refund = [&] {
    for (size_t i = 0; i < n_taken; ++i) store_->release(taken[i].key, taken[i].quota, 1, ctx.now_ms);
  };
  ByteCharges charges;
  auto fail = [&](const throttle::Verdict& v, int code, std::string_view level_reason) {
    refund();
    if (v.kind == throttle::Verdict::Kind::kUnavailable) {
      ctx.reply = error_reply(503, code, "Throttling Unavailable",
                              "The rate-limit store cannot be reached and this quota does not admit calls without it; "
                              "retry later",
                              ReplyReason::kUnavailable, ErrorSource::kThrottle, "throttle_store_down");
      ctx.reply.headers = "Retry-After: 1\r\n";
      return FilterStatus::kReply;
    }
    ctx.reply = error_reply(429, code, "Message throttled out", "You have exceeded your quota", ReplyReason::kThrottled,
                            ErrorSource::kThrottle, level_reason);
    std::string& headers = ctx.reply.headers;
    headers = "Retry-After: ";
    append_decimal(headers, uint64_t(std::max<int64_t>(1, throttle::ceil_seconds(v.reset_ms))));
    headers += "\r\n";
    if (config_.rate_limit_headers) {
      throttle::Verdict shown = v;
      shown.remaining = 0;
      rate_limit_headers(headers, shown, policy);
    }
    return FilterStatus::kReply;
  };
  auto add_policy = [&](uint64_t limit, int64_t unit_ms) {
    if (!policy.empty()) policy += ", ";
    append_decimal(policy, limit);
    policy += ";w=";
    append_decimal(policy, uint64_t(unit_ms / 1000));
  };

  // One request quota of a level: counted, or the request is refused (out = the rejection).
  auto take = [&](std::string key, const throttle::Quota& q, int code, std::string_view why, FilterStatus& out) {
    add_policy(q.limit, q.unit_ms);
    throttle::Verdict v = store_->acquire(key, q, 1, ctx.now_ms);
    if (v.kind != throttle::Verdict::Kind::kAllowed) {
      out = fail(v, code, why);
      return false;
    }
    if (n_taken < taken.size()) taken[n_taken++] = Taken{std::move(key), q};
    if (!have_tightest || v.remaining < tightest.remaining) {
      tightest = v;
      have_tightest = true;
    }
    return true;
  };

  // One level: its request quota, burst quota and byte quota. Returns false when refused.
  auto check = [&](const config::ThrottleTier* t, std::string& key, int code, std::string_view why,
                   FilterStatus& out) -> bool {
    if (t == nullptr || t->unlimited) return true;
    consumer_suffix(*t, ctx, key);
    if (t->requests > 0 && !take(key, {t->requests, t->unit_ms, t->fail_closed}, code, why, out)) return false;
    if (t->burst > 0 && !take(key + "#s", {t->burst, 1'000, t->fail_closed}, code, why, out)) return false;
    if (t->bytes > 0) {
      std::string bytes_key = key + "#B";
      throttle::Quota q{t->bytes, t->unit_ms, t->fail_closed};
      throttle::Verdict v = store_->acquire(bytes_key, q, 0, ctx.now_ms);
      if (v.kind != throttle::Verdict::Kind::kAllowed) {
        out = fail(v, code, why);
        return false;
      }
      charges.push_back(ByteCharge{std::move(bytes_key), t});
    }
    return true;
  };

  FilterStatus d = FilterStatus::kContinue;
  std::string key;
  const config::Api& api = *route_.api;
  if (api.tier != nullptr && !api.tier->unlimited) {
    key = api_key_;
    if (!check(api.tier, key, 900800, "throttled_api", d)) return d;
  } else if (api.tier == nullptr && route_.resource_tier != nullptr && !route_.resource_tier->unlimited) {
    key = resource_key_;
    if (!check(route_.resource_tier, key, 900802, "throttled_resource", d)) return d;
  }
  if (const config::ThrottleTier* t = subscription_tier(ctx, key)) {
    if (!check(t, key, 900804, "throttled_subscription", d)) return d;
  }
  if (const config::ThrottleTier* t = application_tier(ctx, key)) {
    if (!check(t, key, 900803, "throttled_application", d)) return d;
  }
  if (have_tightest && config_.rate_limit_headers) rate_limit_headers(ctx.response_headers, tightest, policy);
  if (!charges.empty()) ctx.data<ByteCharges>() = std::move(charges);
  return FilterStatus::kContinue;
}

void ThrottleFilter::on_complete(RequestContext& ctx, const RequestTotals& totals) const {
  // Bandwidth quotas count what crossed the gateway for this call, both ways.
  ByteCharges* charges = ctx.find_data<ByteCharges>();
  if (charges == nullptr) return;
  for (const auto& c : *charges) {
    throttle::Quota q{c.tier->bytes, c.tier->unit_ms, c.tier->fail_closed};
    store_->charge(c.key, q, totals.bytes_in + totals.bytes_out, ctx.now_ms);
  }
}

}  // namespace postern::filters
