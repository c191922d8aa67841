// postern.yaml `throttling:` — tiers (WSO2 policies), the counting mode (local or Redis),
// blocking conditions.

#include <arpa/inet.h>

#include "config/internal.h"
#include "core/strings.h"

namespace postern::config::detail {

namespace fs = std::filesystem;

namespace {

ThrottleTier builtin(std::string name, uint64_t per_minute) {
  ThrottleTier t;
  t.name = std::move(name);
  t.requests = per_minute;
  t.unit_ms = 60'000;
  t.builtin = true;
  t.source = "built in";
  return t;
}

ThrottleTier unlimited() {
  ThrottleTier t;
  t.name = "Unlimited";
  t.unlimited = true;
  t.builtin = true;
  t.source = "built in";
  return t;
}

// "second", "minute", "hour", "day" or a duration ("10s", "5m").
std::optional<int64_t> parse_unit(std::string_view s) {
  if (s == "second" || s == "sec" || s == "s") return 1'000;
  if (s == "minute" || s == "min" || s == "m") return 60'000;
  if (s == "hour" || s == "h") return 3'600'000;
  if (s == "day" || s == "d") return 86'400'000;
  if (auto d = parse_duration(s); d && d->count() >= 1'000 && d->count() % 1'000 == 0) return d->count();
  return std::nullopt;
}

void parse_tier(Diagnostics& d, const Entry& e, std::string_view level, ThrottleTier& t) {
  std::string where = "throttling.tiers." + std::string(level) + "." + e.name;
  MapReader m(d, e.value, where,
              std::vector<std::string_view>{"requests", "bytes", "per", "burst", "key", "on_redis_failure",
                                            "unlimited"});
  if (!m.ok()) return;
  t.name = e.name;
  t.source = d.location(e.key.Mark());
  t.builtin = false;
  if (const Entry* f = m.get("unlimited")) {
    if (auto b = read_bool(d, *f, "unlimited")) t.unlimited = *b;
  }
  if (const Entry* f = m.get("requests")) {
    if (auto n = read_uint(d, *f, "requests", 1, uint64_t(1) << 40)) t.requests = *n;
  }
  if (const Entry* f = m.get("bytes")) {
    if (auto n = read_size(d, *f, "bytes")) {
      if (*n == 0) d.error(f->value, "'bytes' must be at least 1");
      t.bytes = *n;
    }
  }
  if (const Entry* f = m.get("per")) {
    auto u = f->value.IsScalar() ? parse_unit(f->value.Scalar()) : std::nullopt;
    if (!u) {
      d.error(f->value.IsNull() ? f->key : f->value,
              "'per' must be second, minute, hour, day or a whole number of seconds such as \"10s\" or \"5m\"");
    } else {
      t.unit_ms = *u;
    }
  } else if (!t.unlimited && !m.misspelled("per")) {
    d.error(e.key,
            "tier '" + e.name + "' needs 'per' (second, minute, hour or day), e.g. {requests: 100, per: minute}");
  }
  if (const Entry* f = m.get("burst")) {
    if (auto n = read_uint(d, *f, "burst", 1, uint64_t(1) << 40)) t.burst = *n;
  }
  if (const Entry* f = m.get("key")) {
    if (auto s = read_string(d, *f, "key")) {
      if (*s == "ip") {
        t.key_by = ThrottleTier::KeyBy::kClientIp;
      } else if (s->starts_with("header:") && s->size() > 7) {
        t.key_by = ThrottleTier::KeyBy::kHeader;
        t.key_name = s->substr(7);
        for (char& c : t.key_name) c = ascii_lower(c);
      } else if (s->starts_with("claim:") && s->size() > 6) {
        t.key_by = ThrottleTier::KeyBy::kClaim;
        t.key_name = s->substr(6);
      } else {
        d.error(f->value,
                "'key' must be ip, header:NAME or claim:NAME (a quota per client IP, header value or JWT claim)");
      }
    }
  }
  if (const Entry* f = m.get("on_redis_failure")) {
    if (auto s = read_string(d, *f, "on_redis_failure")) {
      if (*s == "open") t.fail_closed = false;
      else if (*s == "closed") t.fail_closed = true;
      else d.error(f->value, "'on_redis_failure' must be open (keep limiting locally) or closed (reject with 503)");
    }
  }
  if (!t.unlimited && t.requests == 0 && t.bytes == 0 && !m.misspelled("requests") && !m.misspelled("bytes")) {
    d.error(e.key, "tier '" + e.name + "' limits nothing; give it 'requests', 'bytes' or 'unlimited: true'");
  }
}

void parse_tier_group(Diagnostics& d, const Entry& e, std::string_view level, TierMap& out) {
  MapReader m(d, e.value, "throttling.tiers." + std::string(level), std::nullopt);
  if (!m.ok()) return;
  for (const Entry& t : m.entries()) {
    if (t.name == "Unlimited") {
      d.error(t.key, "'Unlimited' is built in and cannot be redefined");
      continue;
    }
    if (auto prev = out.find(t.name); prev != out.end() && !prev->second.builtin) {
      d.error(t.key, "tier '" + t.name + "' is also defined in policies.yaml (at " + prev->second.source +
                         "); define it in one place, here or there");
      continue;
    }
    ThrottleTier tier;
    parse_tier(d, t, level, tier);
    out[t.name] = std::move(tier);  // replaces a built-in tier of the same name
  }
}

bool valid_cidr(std::string_view s) {
  std::string addr(s.substr(0, s.find('/')));
  unsigned char buf[16];
  int family = addr.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  if (inet_pton(family, addr.c_str(), buf) != 1) return false;
  if (s.find('/') == std::string_view::npos) return true;
  auto bits = parse_u64(s.substr(s.find('/') + 1));
  return bits && *bits <= (family == AF_INET ? 32u : 128u);
}

void parse_blocking(Diagnostics& d, const Entry& e, std::vector<BlockCondition>& out) {
  if (!e.value.IsSequence()) {
    d.error(e.value.IsNull() ? e.key : e.value,
            "'throttling.blocking' must be a list such as [{ip: 10.0.0.0/8}, {application: app-id}, {user: bob}, "
            "{api: \"PetStore:1.0.0\"}]");
    return;
  }
  for (size_t i = 0; i < e.value.size(); ++i) {
    YAML::Node item = e.value[i];
    MapReader m(d, item, "throttling.blocking[" + std::to_string(i) + "]",
                std::vector<std::string_view>{"ip", "api", "application", "user"});
    if (!m.ok()) continue;
    if (m.entries().size() != 1) {
      d.error(item, "a blocking condition has exactly one of ip, api, application, user");
      continue;
    }
    const Entry& c = m.entries().front();
    auto v = read_string(d, c, c.name);
    if (!v) continue;
    BlockCondition b;
    b.value = *v;
    b.source = d.location(c.key.Mark());
    if (c.name == "ip") {
      b.type = BlockCondition::Type::kIp;
      if (!valid_cidr(*v)) {
        d.error(c.value, "'" + *v + "' is not an IP address or CIDR range (e.g. 203.0.113.7 or 10.0.0.0/8)");
        continue;
      }
    } else if (c.name == "api") {
      b.type = BlockCondition::Type::kApi;
    } else if (c.name == "application") {
      b.type = BlockCondition::Type::kApplication;
    } else {
      b.type = BlockCondition::Type::kUser;
    }
    if (v->empty()) {
      d.error(c.value, "a blocking condition needs a value");
      continue;
    }
    out.push_back(std::move(b));
  }
}

void parse_redis(Diagnostics& d, const Entry& e, const fs::path& project_abs, RedisConfig& out) {
  MapReader m(d, e.value, "throttling.redis",
              std::vector<std::string_view>{"address", "password_env", "password_file", "database", "key_prefix",
                                            "sync_interval", "batch", "timeout"});
  if (!m.ok()) return;
  if (const Entry* f = m.get("address")) {
    if (auto a = read_address(d, *f, "throttling.redis.address", false)) {
      out.address = *a;
      out.address_text = f->value.Scalar();
    }
  } else if (!m.misspelled("address")) {
    d.error(e.value, "'throttling.redis' needs an 'address', e.g. {address: \"127.0.0.1:6379\"}");
  }
  if (const Entry* f = m.get("password_env")) {
    if (auto v = read_secret_env(d, *f, "the Redis password")) out.password = *v;
  }
  if (const Entry* f = m.get("password_file")) {
    if (auto v = read_secret_file(d, *f, project_abs, "the Redis password")) out.password = *v;
  }
  if (const Entry* f = m.get("database")) {
    if (auto n = read_uint(d, *f, "database", 0, 1023)) out.database = unsigned(*n);
  }
  if (const Entry* f = m.get("key_prefix")) {
    if (auto s = read_string(d, *f, "key_prefix")) {
      bool ok = !s->empty() && s->size() <= 64;
      for (char c : *s) ok = ok && c > 0x20 && c < 0x7f && c != '{' && c != '}';
      if (!ok) d.error(f->value, "'key_prefix' must be 1-64 printable characters without spaces or braces");
      else out.key_prefix = *s;
    }
  }
  if (const Entry* f = m.get("sync_interval")) {
    if (auto v = read_duration(d, *f, "sync_interval")) {
      if (v->count() < 1 || v->count() > 10'000) d.error(f->value, "'sync_interval' must be between 1ms and 10s");
      else out.sync_interval = *v;
    }
  }
  if (const Entry* f = m.get("batch")) {
    if (auto n = read_uint(d, *f, "batch", 1, 1'000'000)) out.batch = *n;
  }
  if (const Entry* f = m.get("timeout")) {
    if (auto v = read_duration(d, *f, "timeout")) {
      if (v->count() < 1) d.error(f->value, "'timeout' must be at least 1ms");
      else out.timeout = *v;
    }
  }
}

}  // namespace

void add_builtin_tiers(ThrottlingConfig& out) {
  // try_emplace: a tier of the same name from policies.yaml (read first) stays.
  for (auto [name, n] : {std::pair{"50kPerMin", 50'000}, {"20kPerMin", 20'000}, {"10kPerMin", 10'000}})
    out.resource.try_emplace(name, builtin(name, n));
  for (auto [name, n] : {std::pair{"50PerMin", 50}, {"20PerMin", 20}, {"10PerMin", 10}})
    out.application.try_emplace(name, builtin(name, n));
  for (auto [name, n] :
       {std::pair{"Gold", 5000}, {"Silver", 2000}, {"Bronze", 10}, {"Unauthenticated", 500}, {"Default", 500}})
    out.subscription.try_emplace(name, builtin(name, n));
  out.resource["Unlimited"] = unlimited();
  out.application["Unlimited"] = unlimited();
  out.subscription["Unlimited"] = unlimited();
}

void parse_throttling(Diagnostics& d, const Entry& e, const fs::path& project_abs, ThrottlingConfig& out) {
  MapReader m(d, e.value, "throttling",
              std::vector<std::string_view>{"mode", "redis", "memory", "tiers", "unauthenticated_tier",
                                            "default_subscription_tier", "rate_limit_headers", "blocking"});
  if (!m.ok()) return;
  out.source = d.location(e.key.Mark());
  if (const Entry* f = m.get("mode")) {
    if (auto s = read_string(d, *f, "mode")) {
      if (*s == "local") out.distributed = false;
      else if (*s == "redis") out.distributed = true;
      else d.error(f->value, "'mode' must be local (counters in this process) or redis (a fleet shares them)");
    }
  }
  if (const Entry* f = m.get("redis")) parse_redis(d, *f, project_abs, out.redis);
  if (out.distributed && m.get("redis") == nullptr && !m.misspelled("redis")) {
    d.error(e.value, "mode: redis needs a 'redis' section, e.g. redis: {address: \"127.0.0.1:6379\"}");
  }
  if (const Entry* f = m.get("memory")) {
    if (auto n = read_size(d, *f, "memory")) {
      if (*n < (1u << 20)) d.error(f->value, "'memory' must be at least 1MiB");
      else out.memory_bytes = *n;
    }
  }
  if (const Entry* f = m.get("tiers")) {
    MapReader tm(d, f->value, "throttling.tiers",
                 std::vector<std::string_view>{"resource", "application", "subscription"});
    if (tm.ok()) {
      if (const Entry* g = tm.get("resource")) parse_tier_group(d, *g, "resource", out.resource);
      if (const Entry* g = tm.get("application")) parse_tier_group(d, *g, "application", out.application);
      if (const Entry* g = tm.get("subscription")) parse_tier_group(d, *g, "subscription", out.subscription);
    }
  }
  auto subscription_tier = [&](const char* key, std::string& target) {
    if (const Entry* f = m.get(key)) {
      if (auto s = read_string(d, *f, key)) {
        if (!s->empty() && !out.subscription.contains(*s)) {
          d.error(f->value, "'" + std::string(key) + "' names subscription tier '" + *s +
                                "', which does not exist; declare it under throttling.tiers.subscription");
        } else {
          target = *s;
        }
      }
    }
  };
  subscription_tier("unauthenticated_tier", out.unauthenticated_tier);
  subscription_tier("default_subscription_tier", out.default_subscription_tier);
  if (const Entry* f = m.get("rate_limit_headers")) {
    if (auto b = read_bool(d, *f, "rate_limit_headers")) out.rate_limit_headers = *b;
  }
  if (const Entry* f = m.get("blocking")) parse_blocking(d, *f, out.blocks);
}

}  // namespace postern::config::detail
