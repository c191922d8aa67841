#include "upstream/load_balancer.h"

#include "upstream/host_refresher.h"

namespace postern::upstream {

std::shared_ptr<const EndpointSet> EndpointSet::build(const config::EndpointGroup& group, Millis default_timeout,
                                                      HostRefresher* hosts) {
  auto set = std::make_shared<EndpointSet>();
  set->group = &group;
  set->response_timeout = group.timeout.count() > 0 ? group.timeout : default_timeout;
  set->endpoints.reserve(group.endpoints.size());  // targets point into pool_keys: no moves
  for (const auto& e : group.endpoints) {
    EndpointTargets& et = set->endpoints.emplace_back();
    et.endpoint = &e;
    if (e.dynamic && hosts) {
      et.host = hosts->track(e);
      continue;
    }
    et.pool_keys.reserve(e.addresses.size());
    for (const auto& a : e.addresses) et.pool_keys.push_back(pool_key_for(e.tls, a.text, e.host));
    for (size_t i = 0; i < e.addresses.size(); ++i) {
      Target t;
      t.address = reinterpret_cast<const sockaddr*>(&e.addresses[i].storage);
      t.address_length = e.addresses[i].length;
      t.tls = e.tls;
      t.tls_host = e.host;
      t.pool_key = et.pool_keys[i];
      et.targets.push_back(t);
    }
  }
  return set;
}

AttemptOrder::AttemptOrder(const EndpointSet& set, uint64_t round_robin, HostCache* cache)
    : set_(set), cache_(cache) {
  const size_t n = set.endpoints.size();
  const bool failover = set.group->type == config::EndpointGroup::Type::kFailover;
  first_ = (failover || n == 0) ? 0 : size_t(round_robin % n);
}

void AttemptOrder::enter(const EndpointTargets& e) {
  entered_ = true;
  if (!e.host) {
    current_ = e.targets;
    return;
  }
  held_ = cache_ ? cache_->get(*e.host) : nullptr;
  current_ = held_ ? std::span<const Target>(held_->targets) : std::span<const Target>();
  if (current_.empty()) ++unresolved_;
}

bool AttemptOrder::next(const EndpointTargets*& endpoint, const Target*& target) {
  const size_t n = set_.endpoints.size();
  while (attempt_ < n) {
    const EndpointTargets& e = set_.endpoints[(first_ + attempt_) % n];
    if (!entered_) enter(e);
    if (target_ < current_.size()) {
      endpoint = &e;
      target = &current_[target_++];
      ++tried_;
      return true;
    }
    ++attempt_;
    target_ = 0;
    entered_ = false;
  }
  return false;
}

}  // namespace postern::upstream
