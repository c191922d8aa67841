#pragma once
// Which endpoint of an API a request goes to, and in what order the others are tried when
// connecting fails: round robin from a per-worker counter, or always the first for a
// failover group; within an endpoint, each resolved address in turn. A request that
// reached an endpoint is never sent to another (it may have had effects); only a pooled
// connection found closed is replayed, once, on a fresh one (exchange.cc).
#include <memory>
#include <string>
#include <vector>

#include "config/snapshot.h"
#include "upstream/connection_pool.h"

namespace postern::upstream {

struct EndpointTargets {
  const config::Endpoint* endpoint = nullptr;
  std::vector<Target> targets;         // one per resolved address
  std::vector<std::string> pool_keys;  // storage for targets[i].pool_key
};

// One endpoint group of a route (production or sandbox), resolved once per runtime.
struct EndpointSet {
  const config::EndpointGroup* group = nullptr;
  std::vector<EndpointTargets> endpoints;
  Millis response_timeout{0};  // group override or the gateway default

  static std::shared_ptr<const EndpointSet> build(const config::EndpointGroup& group, Millis default_timeout);
};

// The attempts of one request, in order.
class AttemptOrder {
 public:
  AttemptOrder(const EndpointSet& set, uint64_t round_robin);
  // The next (endpoint, target) to try, or false when every one was tried.
  bool next(const EndpointTargets*& endpoint, const Target*& target);

 private:
  const EndpointSet& set_;
  size_t first_ = 0;
  size_t attempt_ = 0;  // endpoints tried
  size_t target_ = 0;   // next address within the current endpoint
};

}  // namespace postern::upstream
