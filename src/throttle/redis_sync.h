#pragma once
// Pushes a node's throttling counts to Redis in batches and brings back the fleet's totals,
// on a thread of its own, so no request ever waits for Redis (design.md "Remote state").
//
// Every `interval`, or sooner when a key has used half of its unconfirmed allowance, the
// thread takes the counts admitted since the last round from the CounterStore and sends,
// pipelined in one round trip, per key and window:
//   INCRBY <prefix>:{<key>}:<window start ms> <count>
//   PEXPIREAT <same key> <window end + 60 s>
// The INCRBY answers are the fleet's totals. Keys carry a hash tag so each lands on one
// Redis Cluster slot. When Redis cannot be reached the store is told (fail-open quotas count
// locally, fail-closed ones refuse) and the thread reconnects with backoff up to 1 s.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "throttle/counter_store.h"

struct redisContext;

namespace postern::throttle {

struct RedisOptions {
  std::string host;  // numeric address
  uint16_t port = 6379;
  std::string password;
  unsigned database = 0;
  std::string key_prefix = "postern";
  int64_t interval_ms = 100;
  int64_t timeout_ms = 500;
};

struct RedisSyncStats {
  bool up = false;
  uint64_t rounds = 0;  // successful round trips that carried counts
  uint64_t keys_synced = 0;
  uint64_t failures = 0;  // failed connects or round trips
  std::string last_error;
};

class RedisSync {
 public:
  RedisSync(std::shared_ptr<CounterStore> store, RedisOptions options);
  ~RedisSync();  // stops the thread
  void start();
  void stop();
  void wake();  // any thread; cheap when already woken
  RedisSyncStats stats() const;
  const RedisOptions& options() const { return options_; }
  // The Redis key of a counter key's window.
  static std::string redis_key(const std::string& prefix, std::string_view key, int64_t window_start_ms);

 private:
  void run();
  void round();
  bool connect();
  void fail(const std::string& why);

  std::shared_ptr<CounterStore> store_;
  RedisOptions options_;
  std::thread thread_;
  mutable std::mutex mu_;  // guards stats_
  std::atomic<bool> stopping_{false};
  redisContext* ctx_ = nullptr;
  int64_t backoff_ms_ = 0;
  int64_t next_connect_ms_ = 0;
  int64_t last_ping_ms_ = 0;
  std::vector<Delta> deltas_;
  RedisSyncStats stats_;  // under mu_
};

}  // namespace postern::throttle
