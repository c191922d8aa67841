#include "throttle/redis_sync.h"

#include <chrono>

#include <hiredis/hiredis.h>

#include "core/log.h"
#include "throttle/window.h"

namespace postern::throttle {

namespace {
int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
timeval to_timeval(int64_t ms) { return timeval{time_t(ms / 1000), suseconds_t((ms % 1000) * 1000)}; }
}  // namespace

RedisSync::RedisSync(std::shared_ptr<CounterStore> store, RedisOptions options)
    : store_(std::move(store)), options_(std::move(options)) {}

RedisSync::~RedisSync() { stop(); }

std::string RedisSync::redis_key(const std::string& prefix, std::string_view key, int64_t window_start_ms) {
  std::string k;
  k.reserve(prefix.size() + key.size() + 24);
  k += prefix;
  k += ":{";
  k += key;
  k += "}:";
  k += std::to_string(window_start_ms);
  return k;
}

void RedisSync::start() {
  thread_ = std::thread([this] { run(); });
}

void RedisSync::stop() {
  stopping_.store(true);
  store_->wake();
  if (thread_.joinable()) thread_.join();
  if (ctx_) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
}

RedisSyncStats RedisSync::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void RedisSync::run() {
  round();  // connect at once: until Redis has answered, this node counts alone
  while (!stopping_.load()) {
    store_->wait_for_sync(std::chrono::milliseconds(options_.interval_ms), stopping_);
    if (stopping_.load()) break;
    round();
  }
}

void RedisSync::fail(const std::string& why) {
  if (ctx_) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  bool was_up = store_->remote_up();
  store_->set_remote_up(false);
  backoff_ms_ = backoff_ms_ == 0 ? options_.interval_ms : std::min<int64_t>(backoff_ms_ * 2, 1000);
  next_connect_ms_ = now_ms() + backoff_ms_;
  bool first;
  {
    std::lock_guard lock(mu_);
    first = stats_.failures == 0;
    ++stats_.failures;
    stats_.up = false;
    stats_.last_error = why;
  }
  // Logged when Redis goes away and on the very first failure (a wrong address or password
  // at start), not on every retry.
  if (was_up || first)
    log::warn("throttling: Redis {}:{} unreachable ({}); fail-open tiers count locally, fail-closed tiers answer 503",
              options_.host, options_.port, why);
}

bool RedisSync::connect() {
  if (now_ms() < next_connect_ms_) return false;
  ctx_ = redisConnectWithTimeout(options_.host.c_str(), options_.port, to_timeval(options_.timeout_ms));
  if (ctx_ == nullptr || ctx_->err) {
    std::string why = ctx_ ? ctx_->errstr : "out of memory";
    fail("connect: " + why);
    return false;
  }
  redisSetTimeout(ctx_, to_timeval(options_.timeout_ms));
  auto command_ok = [&](redisReply* r) {
    bool ok = r != nullptr && r->type != REDIS_REPLY_ERROR;
    std::string why = r == nullptr ? (ctx_->errstr[0] ? ctx_->errstr : "no answer") : (r->str ? r->str : "error");
    if (r) freeReplyObject(r);
    if (!ok) fail(why);
    return ok;
  };
  if (!options_.password.empty()) {
    auto* r = static_cast<redisReply*>(
        redisCommand(ctx_, "AUTH %b", options_.password.data(), options_.password.size()));
    if (!command_ok(r)) return false;
  }
  if (options_.database != 0) {
    auto* r = static_cast<redisReply*>(redisCommand(ctx_, "SELECT %u", options_.database));
    if (!command_ok(r)) return false;
  }
  auto* r = static_cast<redisReply*>(redisCommand(ctx_, "PING"));
  if (!command_ok(r)) return false;
  backoff_ms_ = 0;
  last_ping_ms_ = now_ms();
  bool was_up = store_->remote_up();
  store_->set_remote_up(true);
  {
    std::lock_guard lock(mu_);
    stats_.up = true;
  }
  if (!was_up) log::info("throttling: Redis {}:{} connected; counting for the fleet", options_.host, options_.port);
  return true;
}

void RedisSync::round() {
  if (ctx_ == nullptr && !connect()) return;
  deltas_.clear();
  store_->take_deltas(deltas_);
  int64_t now = now_ms();
  if (deltas_.empty()) {
    // Idle: make sure Redis is still there, so fail-closed quotas learn of an outage soon.
    if (now - last_ping_ms_ < 1000) return;
    last_ping_ms_ = now;
    auto* r = static_cast<redisReply*>(redisCommand(ctx_, "PING"));
    bool ok = r != nullptr && r->type != REDIS_REPLY_ERROR;
    if (r) freeReplyObject(r);
    if (!ok) fail(ctx_->errstr[0] ? ctx_->errstr : "PING failed");
    return;
  }
  std::vector<std::string> keys;
  keys.reserve(deltas_.size());
  for (const Delta& d : deltas_) {
    keys.push_back(redis_key(options_.key_prefix, d.key, d.window_start_ms));
    std::string amount = std::to_string(d.amount);
    const char* argv1[] = {"INCRBY", keys.back().data(), amount.data()};
    size_t len1[] = {6, keys.back().size(), amount.size()};
    redisAppendCommandArgv(ctx_, 3, argv1, len1);
    std::string at = std::to_string(d.window_start_ms + d.unit_ms + 60'000);
    const char* argv2[] = {"PEXPIREAT", keys.back().data(), at.data()};
    size_t len2[] = {9, keys.back().size(), at.size()};
    redisAppendCommandArgv(ctx_, 3, argv2, len2);
  }
  for (const Delta& d : deltas_) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      fail(ctx_->errstr[0] ? ctx_->errstr : "no answer");
      return;
    }
    auto* r = static_cast<redisReply*>(raw);
    bool ok = r->type == REDIS_REPLY_INTEGER;
    long long total = ok ? r->integer : 0;
    std::string err = r->type == REDIS_REPLY_ERROR && r->str ? r->str : "unexpected reply to INCRBY";
    freeReplyObject(r);
    if (!ok) {
      fail(err);
      return;
    }
    raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      fail(ctx_->errstr[0] ? ctx_->errstr : "no answer");
      return;
    }
    freeReplyObject(raw);
    store_->confirm(d, total < 0 ? 0 : uint64_t(total));
  }
  last_ping_ms_ = now;
  std::lock_guard lock(mu_);
  ++stats_.rounds;
  stats_.keys_synced += deltas_.size();
  stats_.up = true;
}

}  // namespace postern::throttle
