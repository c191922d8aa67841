#include "server/throttling_state.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fmt/format.h>

#include "core/log.h"
#include "core/strings.h"

namespace postern::server {

namespace {

throttle::RedisOptions redis_options(const config::RedisConfig& r) {
  throttle::RedisOptions o;
  char host[INET6_ADDRSTRLEN] = {0};
  const auto* sa = reinterpret_cast<const sockaddr*>(&r.address.storage);
  if (sa->sa_family == AF_INET6) {
    const auto* s6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
    o.port = ntohs(s6->sin6_port);
  } else {
    const auto* s4 = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
    o.port = ntohs(s4->sin_port);
  }
  o.host = host;
  o.password = r.password;
  o.database = r.database;
  o.key_prefix = r.key_prefix;
  o.interval_ms = r.sync_interval.count();
  o.timeout_ms = r.timeout.count();
  return o;
}

bool same(const throttle::RedisOptions& a, const throttle::RedisOptions& b) {
  return a.host == b.host && a.port == b.port && a.password == b.password && a.database == b.database &&
         a.key_prefix == b.key_prefix && a.interval_ms == b.interval_ms && a.timeout_ms == b.timeout_ms;
}

void tier_json(std::string& out, const config::ThrottleTier& t) {
  out += "{\"name\":\"";
  append_json_escaped(out, t.name);
  out += "\"";
  if (t.unlimited) {
    out += ",\"unlimited\":true";
  } else {
    if (t.requests) out += fmt::format(",\"requests\":{}", t.requests);
    if (t.bytes) out += fmt::format(",\"bytes\":{}", t.bytes);
    out += fmt::format(",\"per_seconds\":{}", t.unit_ms / 1000);
    if (t.burst) out += fmt::format(",\"burst_per_second\":{}", t.burst);
  }
  using K = config::ThrottleTier::KeyBy;
  if (t.key_by != K::kDefault) {
    out += ",\"key\":\"";
    out += t.key_by == K::kClientIp ? "ip" : t.key_by == K::kHeader ? "header:" : "claim:";
    append_json_escaped(out, t.key_name);
    out += "\"";
  }
  out += t.fail_closed ? ",\"on_redis_failure\":\"closed\"" : ",\"on_redis_failure\":\"open\"";
  out += ",\"source\":\"";
  append_json_escaped(out, t.source);
  out += "\"}";
}

}  // namespace

ThrottlingState::~ThrottlingState() { stop(); }

std::shared_ptr<throttle::CounterStore> ThrottlingState::store_for(const config::ThrottlingConfig& c) {
  if (store_ && store_->distributed() == c.distributed && store_->memory_bound() == c.memory_bytes &&
      store_->batch() == c.redis.batch) {
    return store_;
  }
  throttle::CounterStore::Options o;
  o.memory_bytes = c.memory_bytes;
  o.distributed = c.distributed;
  o.batch = c.redis.batch;
  return std::make_shared<throttle::CounterStore>(o);
}

void ThrottlingState::apply(const config::ThrottlingConfig& c, std::shared_ptr<throttle::CounterStore> store) {
  bool new_store = store != store_;
  if (new_store && store_) log::info("throttling: mode or memory bound changed; counters start afresh");
  store_ = std::move(store);
  if (!c.distributed) {
    if (sync_) sync_->stop();
    sync_.reset();
  } else {
    auto opts = redis_options(c.redis);
    if (!sync_ || new_store || !same(sync_->options(), opts)) {
      if (sync_) sync_->stop();
      sync_ = std::make_unique<throttle::RedisSync>(store_, opts);
      sync_->start();
    }
  }
  std::vector<throttle::BlockRule> rules;
  for (const auto& b : c.blocks) {
    throttle::BlockRule r;
    r.type = throttle::BlockRule::Type(uint8_t(b.type));
    r.value = b.value;
    r.origin = b.source;
    rules.push_back(std::move(r));
  }
  blocker_.set_config_rules(std::move(rules));
}

void ThrottlingState::stop() {
  if (sync_) sync_->stop();
}

void ThrottlingState::sweep(int64_t now_ms) {
  if (store_) store_->sweep(now_ms, 4);
}

std::string ThrottlingState::counter_json(std::string_view key) const {
  if (!store_) return "";
  auto v = store_->inspect(key);
  if (!v) return "";
  std::string out = "{\"key\":\"";
  append_json_escaped(out, key);
  out += fmt::format(
      "\",\"window_start_ms\":{},\"window_seconds\":{},\"node_count\":{},\"fleet_count\":{},\"unsynced\":{},"
      "\"in_flight\":{},\"distributed\":{},\"redis_up\":{}}}",
      v->window_start_ms, v->unit_ms / 1000, v->local, v->fleet, v->unsynced, v->in_flight,
      store_->distributed() ? "true" : "false", store_->remote_up() ? "true" : "false");
  return out;
}

std::string ThrottlingState::blocks_json() const {
  auto list = blocker_.current();
  std::string out = "{\"blocking\":[";
  bool first = true;
  for (const auto& r : list->rules()) {
    if (!first) out += ",";
    first = false;
    out += fmt::format("{{\"id\":{},\"type\":\"{}\",\"value\":\"", r.id, throttle::block_type_name(r.type));
    append_json_escaped(out, r.value);
    out += "\",\"origin\":\"";
    append_json_escaped(out, r.origin);
    out += "\"}";
  }
  out += "]}";
  return out;
}

std::string ThrottlingState::tiers_json(const config::ThrottlingConfig& c) {
  std::string out = fmt::format("{{\"mode\":\"{}\",\"unauthenticated_tier\":\"", c.distributed ? "redis" : "local");
  append_json_escaped(out, c.unauthenticated_tier);
  out += "\",\"default_subscription_tier\":\"";
  append_json_escaped(out, c.default_subscription_tier);
  out += "\"";
  for (auto [name, map] :
       {std::pair{"resource", &c.resource}, {"application", &c.application}, {"subscription", &c.subscription}}) {
    out += fmt::format(",\"{}\":[", name);
    bool first = true;
    for (const auto& [n, t] : *map) {
      if (!first) out += ",";
      first = false;
      tier_json(out, t);
    }
    out += "]";
  }
  out += "}";
  return out;
}

void ThrottlingState::append_metrics(std::string& out) const {
  if (!store_) return;
  auto st = store_->stats();
  out += "# HELP postern_throttle_keys Throttling keys held in memory.\n# TYPE postern_throttle_keys gauge\n";
  out += fmt::format("postern_throttle_keys {}\n", st.keys);
  out +=
      "# HELP postern_throttle_memory_bytes Accounted memory of the throttling counters.\n"
      "# TYPE postern_throttle_memory_bytes gauge\n";
  out += fmt::format("postern_throttle_memory_bytes {}\n", st.bytes);
  out +=
      "# HELP postern_throttle_memory_limit_bytes Configured bound (throttling.memory).\n"
      "# TYPE postern_throttle_memory_limit_bytes gauge\n";
  out += fmt::format("postern_throttle_memory_limit_bytes {}\n", store_->memory_bound());
  out +=
      "# HELP postern_throttle_evictions_total Keys dropped to stay within the memory bound; live = window still "
      "running.\n"
      "# TYPE postern_throttle_evictions_total counter\n";
  out += fmt::format("postern_throttle_evictions_total{{live=\"false\"}} {}\n", st.evictions - st.live_evictions);
  out += fmt::format("postern_throttle_evictions_total{{live=\"true\"}} {}\n", st.live_evictions);
  if (sync_) {
    auto rs = sync_->stats();
    out +=
        "# HELP postern_throttle_redis_up Whether the last Redis round trip succeeded (1) or failed (0).\n"
        "# TYPE postern_throttle_redis_up gauge\n";
    out += fmt::format("postern_throttle_redis_up {}\n", rs.up ? 1 : 0);
    out +=
        "# HELP postern_throttle_redis_rounds_total Redis round trips that carried counts.\n"
        "# TYPE postern_throttle_redis_rounds_total counter\n";
    out += fmt::format("postern_throttle_redis_rounds_total {}\n", rs.rounds);
    out +=
        "# HELP postern_throttle_redis_failures_total Failed Redis connects or round trips.\n"
        "# TYPE postern_throttle_redis_failures_total counter\n";
    out += fmt::format("postern_throttle_redis_failures_total {}\n", rs.failures);
  }
}

}  // namespace postern::server
