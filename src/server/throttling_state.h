#pragma once
// The process's throttling state that outlives config reloads: the counter store (counts
// must not reset because a config was reloaded), the Redis synchroniser, the blocking
// conditions. Main thread only, except what the objects themselves share with workers.
#include <memory>
#include <string>

#include "config/snapshot.h"
#include "throttle/block_list.h"
#include "throttle/counter_store.h"
#include "throttle/redis_sync.h"

namespace postern::server {

class ThrottlingState {
 public:
  ~ThrottlingState();
  // The store a runtime built from `c` should use: the one in force when compatible (same
  // mode, memory bound and batch), else a new one that apply() will put in force.
  std::shared_ptr<throttle::CounterStore> store_for(const config::ThrottlingConfig& c);
  // Puts the store of a published runtime in force; starts, restarts or stops the Redis
  // thread as `c` says; installs the config's blocking conditions.
  void apply(const config::ThrottlingConfig& c, std::shared_ptr<throttle::CounterStore> store);
  void stop();
  void sweep(int64_t now_ms);

  throttle::Blocker& blocker() { return blocker_; }
  const throttle::CounterStore* store() const { return store_.get(); }
  std::string counter_json(std::string_view key) const;  // "" when the key is unknown
  std::string blocks_json() const;
  static std::string tiers_json(const config::ThrottlingConfig& c);
  // Prometheus lines: store size, evictions, Redis state.
  void append_metrics(std::string& out) const;

 private:
  std::shared_ptr<throttle::CounterStore> store_;
  std::unique_ptr<throttle::RedisSync> sync_;
  throttle::Blocker blocker_;
};

}  // namespace postern::server
