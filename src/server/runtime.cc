#include "server/runtime.h"

#include <algorithm>
#include <unordered_map>

#include "filters/registry.h"
#include "net/tls_context.h"
#include "server/metrics.h"

namespace postern::server {

bool Runtime::is_trusted_proxy(const net::asio::ip::address& peer) const {
  if (peer.is_v4()) {
    for (const auto& n : trusted_v4) {
      if (net::asio::ip::make_network_v4(peer.to_v4(), n.prefix_length()).canonical() == n) return true;
    }
  } else {
    auto v6 = peer.to_v6();
    if (v6.is_v4_mapped()) return is_trusted_proxy(net::asio::ip::make_address_v4(net::asio::ip::v4_mapped, v6));
    for (const auto& n : trusted_v6) {
      if (net::asio::ip::make_network_v6(v6, n.prefix_length()).canonical() == n) return true;
    }
  }
  return false;
}

std::shared_ptr<const Runtime> build_runtime(std::shared_ptr<const config::Snapshot> snapshot,
                                             MetricsRegistry& registry, uint64_t generation, unsigned workers,
                                             std::string& error, std::shared_ptr<throttle::CounterStore> throttle_store,
                                             filters::PasswordChecker* password_checker,
                                             upstream::HostRefresher* hosts) {
  auto rt = std::make_shared<Runtime>();
  rt->config = snapshot;
  rt->generation = generation;
  const auto& gw = snapshot->gateway;
  for (const auto& l : gw.listeners) {
    if (l.tls) {
      auto ctx = net::make_server_tls(l.tls->cert_file, l.tls->key_file, error,
                                      l.tls->client_auth == config::TlsServerConfig::ClientAuth::kNone
                                          ? std::filesystem::path()
                                          : l.tls->client_ca_file,
                                      l.tls->client_auth == config::TlsServerConfig::ClientAuth::kRequired);
      if (!ctx) {
        error = "listener '" + l.name + "': " + error;
        return nullptr;
      }
      rt->listener_tls.push_back(std::move(ctx));
    } else {
      rt->listener_tls.push_back(nullptr);
    }
  }
  for (const auto& cidr : gw.forwarding.trusted_proxies) {
    boost::system::error_code ec;
    std::string text = cidr.find('/') == std::string::npos
                           ? cidr + (cidr.find(':') == std::string::npos ? "/32" : "/128")
                           : cidr;
    if (text.find(':') == std::string::npos) {
      auto net4 = net::asio::ip::make_network_v4(text, ec);
      if (!ec) rt->trusted_v4.push_back(net4.canonical());
    } else {
      auto net6 = net::asio::ip::make_network_v6(text, ec);
      if (!ec) rt->trusted_v6.push_back(net6.canonical());
    }
    if (ec) {
      error = "forwarding.trusted_proxies: '" + cidr + "' is not an address or CIDR range";
      return nullptr;
    }
  }
  rt->throttle_store = std::move(throttle_store);
  bool needs_client_tls = false;
  for (const auto& r : snapshot->routes) {
    for (const auto* g : {r.production.get(), r.sandbox.get()}) {
      if (g) {
        for (const auto& e : g->endpoints) needs_client_tls |= e.tls;
      }
    }
  }
  for (const auto& iss : gw.security.issuers) {
    needs_client_tls |= iss.jwks_url.starts_with("https://") || iss.revocations_url.starts_with("https://");
  }
  needs_client_tls |= gw.security.key_manager.introspection_url.starts_with("https://");
  if (needs_client_tls || !gw.upstream_tls.ca_file.empty()) {
    std::string tls_error;
    rt->client_tls = net::make_client_tls(gw.upstream_tls.ca_file, tls_error);
    if (!rt->client_tls) {
      error = "upstream_tls: " + tls_error;
      return nullptr;
    }
  }
  filters::ServiceInputs inputs{snapshot, rt->throttle_store, rt->client_tls, password_checker, workers};
  rt->filters = filters::build_services(std::move(inputs), error);
  if (!rt->filters) return nullptr;
  // Endpoint sets are shared between routes (an API-level endpoint list serves all its resources).
  std::unordered_map<const config::EndpointGroup*, std::shared_ptr<const upstream::EndpointSet>> sets;
  auto endpoint_set = [&](const std::shared_ptr<const config::EndpointGroup>& g) {
    auto& slot = sets[g.get()];
    if (!slot) slot = upstream::EndpointSet::build(*g, gw.limits.upstream_response_timeout, hosts);
    return slot;
  };
  rt->routes.resize(snapshot->routes.size());
  for (const auto& r : snapshot->routes) {
    auto& rr = rt->routes[r.id];
    rr.route = &r;
    if (r.production) rr.production = endpoint_set(r.production);
    if (r.sandbox) rr.sandbox = endpoint_set(r.sandbox);
    rr.chain = filters::build_chain(*rt->filters, r);
    std::string api = r.api ? r.api->name + ":" + r.api->version : "";
    rr.metrics_slot = registry.slot_for(api, r.method_text + " " + r.full_template);
  }
  return rt;
}

}  // namespace postern::server
