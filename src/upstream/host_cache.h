#pragma once
// A worker's view of the backend host names it forwards to: per host, the connect targets
// built from the record set it last saw. A request checks the host's version (one atomic
// load) and rebuilds the targets only after a change, so forwarding takes no lock; pooled
// connections to addresses that left the record set are closed then. The targets are
// shared_ptrs so a request that started with the old set keeps it until it is done.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "upstream/connection_pool.h"
#include "upstream/host_record.h"

namespace postern::upstream {

struct ResolvedTargets {
  std::vector<Target> targets;  // one per address, in the record set's order
  // Storage for the targets' views.
  std::vector<std::string> pool_keys;
  std::vector<config::SocketAddress> addresses;
  std::string tls_host;

  static std::shared_ptr<const ResolvedTargets> build(const HostRecord& host, const AddressList& addresses);
};

class HostCache {
 public:
  explicit HostCache(ConnectionPool* pool) : pool_(pool) {}

  // The targets for `host` now; null before its name first resolved.
  const std::shared_ptr<const ResolvedTargets>& get(const HostRecord& host) {
    if (host.id() >= slots_.size()) slots_.resize(host.id() + 1);
    Slot& s = slots_[host.id()];
    if (host.version() != s.version) update(host, s);
    return s.targets;
  }

 private:
  struct Slot {
    uint64_t version = 0;
    std::shared_ptr<const ResolvedTargets> targets;
  };
  void update(const HostRecord& host, Slot& slot);

  ConnectionPool* pool_;  // null in tests without sockets
  std::vector<Slot> slots_;  // by HostRecord::id()
};

}  // namespace postern::upstream
