#pragma once
// What workers run with: the immutable config Snapshot plus everything derived from it once
// on the main thread (TLS contexts, upstream targets and pool keys, metric slots), so a
// request never computes any of it.
#include <memory>
#include <string>
#include <vector>

#include "config/snapshot.h"
#include "filters/chain.h"
#include "filters/services.h"
#include "net/asio.h"
#include "throttle/counter_store.h"
#include "upstream/host_refresher.h"
#include "upstream/load_balancer.h"

namespace postern::server {

class MetricsRegistry;

struct RuntimeRoute {
  const config::Route* route = nullptr;
  std::shared_ptr<const upstream::EndpointSet> production;
  std::shared_ptr<const upstream::EndpointSet> sandbox;  // null when the API has none
  filters::FilterChain chain;                            // from the registry, in order
  uint32_t metrics_slot = 0;
};

struct Runtime {
  std::shared_ptr<const config::Snapshot> config;
  std::vector<RuntimeRoute> routes;                                    // by route id
  std::vector<std::shared_ptr<net::asio::ssl::context>> listener_tls;  // by listener index
  std::shared_ptr<net::asio::ssl::context> client_tls;                 // null when no endpoint needs TLS
  std::shared_ptr<const filters::FilterServices> filters;              // what the routes' filters share
  std::shared_ptr<throttle::CounterStore> throttle_store;              // outlives reloads (ThrottlingState)
  std::vector<net::asio::ip::network_v4> trusted_v4;                   // forwarding.trusted_proxies
  std::vector<net::asio::ip::network_v6> trusted_v6;
  bool is_trusted_proxy(const net::asio::ip::address& peer) const;
  uint64_t generation = 0;
};

// Builds a Runtime; on failure returns null and sets `error` (e.g. an unreadable key).
// `workers` sizes the per-worker revocation sets. `hosts` keeps backend host names resolved
// (null: they keep the addresses found at load).
std::shared_ptr<const Runtime> build_runtime(std::shared_ptr<const config::Snapshot> snapshot,
                                             MetricsRegistry& registry, uint64_t generation, unsigned workers,
                                             std::string& error, std::shared_ptr<throttle::CounterStore> throttle_store,
                                             filters::PasswordChecker* password_checker,
                                             upstream::HostRefresher* hosts = nullptr);

}  // namespace postern::server
