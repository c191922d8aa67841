#pragma once
// What workers run with: the immutable config Snapshot plus everything derived from it once
// on the main thread (TLS contexts, upstream targets and pool keys, metric slots), so a
// request never computes any of it.
#include <memory>
#include <string>
#include <vector>

#include "config/snapshot.h"
#include "net/client_cert.h"
#include "filters/filter.h"
#include "filters/auth_filter.h"
#include "filters/backend_jwt.h"
#include "filters/jwt_authenticator.h"
#include "filters/static_credentials.h"
#include "throttle/counter_store.h"
#include "net/asio.h"
#include "upstream/connection_pool.h"

namespace postern::server {

class MetricsRegistry;

struct RuntimeEndpoint {
  const config::Endpoint* endpoint = nullptr;
  std::vector<upstream::Target> targets;  // one per resolved address
  std::vector<std::string> pool_keys;     // storage for targets[i].pool_key
};

struct RuntimeGroup {
  const config::EndpointGroup* group = nullptr;
  std::vector<RuntimeEndpoint> endpoints;
  Millis response_timeout{0};  // group override or the gateway default
};

struct RuntimeRoute {
  const config::Route* route = nullptr;
  std::shared_ptr<const RuntimeGroup> production;
  std::shared_ptr<const RuntimeGroup> sandbox;  // null when the API has none
  filters::FilterChain filters;                 // in order; empty for open routes
  uint32_t metrics_slot = 0;
};

struct Runtime {
  std::shared_ptr<const config::Snapshot> config;
  std::vector<RuntimeRoute> routes;  // by route id
  std::vector<std::shared_ptr<net::asio::ssl::context>> listener_tls;  // by listener index
  std::shared_ptr<net::asio::ssl::context> client_tls;  // null when no endpoint needs TLS
  std::shared_ptr<filters::JwtAuthenticator> jwt;  // issuers, keys, token caches
  std::shared_ptr<const filters::StaticCredentials> credentials;  // Basic users, static API keys
  std::shared_ptr<const filters::BackendJwtSigner> backend_jwt;   // null unless enabled
  std::shared_ptr<const net::ClientCertVerifier> client_cert_header;  // null unless configured
  std::shared_ptr<throttle::CounterStore> throttle_store;  // outlives reloads (ThrottlingState)
  std::vector<net::asio::ip::network_v4> trusted_v4;    // forwarding.trusted_proxies
  std::vector<net::asio::ip::network_v6> trusted_v6;
  bool is_trusted_proxy(const net::asio::ip::address& peer) const;
  uint64_t generation = 0;
};

// Builds a Runtime; on failure returns null and sets `error` (e.g. an unreadable key).
// `workers` sizes the per-worker caches (verified tokens).
std::shared_ptr<const Runtime> build_runtime(std::shared_ptr<const config::Snapshot> snapshot,
                                             MetricsRegistry& registry, uint64_t generation,
                                             unsigned workers, std::string& error,
                                             std::shared_ptr<throttle::CounterStore> throttle_store);

}  // namespace postern::server
