#include "upstream/host_cache.h"

#include <algorithm>

namespace postern::upstream {

std::shared_ptr<const ResolvedTargets> ResolvedTargets::build(const HostRecord& host, const AddressList& addresses) {
  auto rt = std::make_shared<ResolvedTargets>();
  rt->addresses = addresses;
  rt->tls_host = host.host();
  // Targets hold views into these vectors: size them first so nothing moves.
  rt->pool_keys.reserve(addresses.size());
  for (const auto& a : rt->addresses) rt->pool_keys.push_back(pool_key_for(host.tls(), a.text, host.host()));
  rt->targets.reserve(addresses.size());
  for (size_t i = 0; i < rt->addresses.size(); ++i) {
    Target t;
    t.address = reinterpret_cast<const sockaddr*>(&rt->addresses[i].storage);
    t.address_length = rt->addresses[i].length;
    t.tls = host.tls();
    t.tls_host = rt->tls_host;
    t.pool_key = rt->pool_keys[i];
    rt->targets.push_back(t);
  }
  return rt;
}

void HostCache::update(const HostRecord& host, Slot& slot) {
  uint64_t version = 0;
  auto addresses = host.addresses(version);
  auto next = addresses ? ResolvedTargets::build(host, *addresses) : nullptr;
  // Idle connections to addresses no longer in the set would only be reused if the address
  // came back; close them now rather than at the idle timeout.
  if (pool_ && slot.targets) {
    for (const auto& key : slot.targets->pool_keys) {
      bool kept = next && std::find(next->pool_keys.begin(), next->pool_keys.end(), key) != next->pool_keys.end();
      if (!kept) pool_->close_idle(key);
    }
  }
  slot.version = version;
  slot.targets = std::move(next);
}

}  // namespace postern::upstream
