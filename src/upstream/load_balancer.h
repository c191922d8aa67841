#pragma once
// Which endpoint of an API a request goes to, and in what order the others are tried when
// connecting fails: round robin from a per-worker counter, or always the first for a
// failover group; within an endpoint, each resolved address in turn (for a host name, the
// record set the worker last saw, host_cache.h). A request that reached an endpoint is
// never sent to another (it may have had effects); only a pooled connection found closed
// is replayed, once, on a fresh one (exchange.cc).
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "config/snapshot.h"
#include "upstream/connection_pool.h"
#include "upstream/host_cache.h"
#include "upstream/host_record.h"

namespace postern::upstream {

class HostRefresher;

struct EndpointTargets {
  const config::Endpoint* endpoint = nullptr;
  std::vector<Target> targets;         // one per address resolved at load (numeric hosts; tests)
  std::vector<std::string> pool_keys;  // storage for targets[i].pool_key
  // A host name kept resolved while running: its targets come from the worker's HostCache.
  std::shared_ptr<const HostRecord> host;
};

// One endpoint group of a route (production or sandbox), resolved once per runtime.
struct EndpointSet {
  const config::EndpointGroup* group = nullptr;
  std::vector<EndpointTargets> endpoints;
  Millis response_timeout{0};  // group override or the gateway default

  // `hosts` null: host names keep the addresses found at load (no refreshing).
  static std::shared_ptr<const EndpointSet> build(const config::EndpointGroup& group, Millis default_timeout,
                                                  HostRefresher* hosts = nullptr);
};

// The attempts of one request, in order.
class AttemptOrder {
 public:
  // `cache` resolves host-name endpoints (null: they have no addresses).
  AttemptOrder(const EndpointSet& set, uint64_t round_robin, HostCache* cache = nullptr);
  // The next (endpoint, target) to try, or false when every one was tried.
  bool next(const EndpointTargets*& endpoint, const Target*& target);
  // True when nothing was tried because every host name met had no addresses yet.
  bool only_unresolved() const { return tried_ == 0 && unresolved_ > 0; }

 private:
  void enter(const EndpointTargets& e);

  const EndpointSet& set_;
  HostCache* cache_;
  size_t first_ = 0;
  size_t attempt_ = 0;  // endpoints tried
  size_t target_ = 0;   // next address within the current endpoint
  std::span<const Target> current_;  // the current endpoint's targets
  bool entered_ = false;
  // Keeps a host name's targets alive while this request may still use them.
  std::shared_ptr<const ResolvedTargets> held_;
  size_t tried_ = 0;
  size_t unresolved_ = 0;
};

}  // namespace postern::upstream
