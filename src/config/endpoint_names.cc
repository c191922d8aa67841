// Load-time resolution of backend host names: all at once, through the same resolver
// settings the gateway uses while running, so `validate` and `run` see what it will see.
#include <algorithm>
#include <map>

#include "config/address.h"
#include "config/internal.h"
#include "dns/resolve_all.h"

namespace postern::config::detail {

void resolve_endpoint_names(const DnsConfig& dns, const std::vector<NamedEndpoint>& named,
                            std::vector<Diagnostic>& errors, std::vector<Diagnostic>& warnings,
                            const std::string& config_file) {
  if (named.empty()) return;
  std::string error;
  auto channel = dns::Channel::create(dns::ChannelOptions{dns.servers, dns.timeout, 2}, error);
  if (!channel) {
    Diagnostics(errors, config_file).error("cannot start the DNS resolver: " + error);
    return;
  }
  // One lookup per distinct host:port, however many endpoints name it.
  std::map<std::pair<std::string, uint16_t>, size_t> index;
  std::vector<dns::Name> names;
  for (const auto& n : named) {
    const Endpoint& ep = n.group->endpoints[n.index];
    auto [it, inserted] = index.emplace(std::make_pair(ep.host, ep.port), names.size());
    if (inserted) names.push_back(dns::Name{ep.host, ep.port});
  }
  std::vector<dns::Answer> answers = dns::resolve_all(*channel, names);
  for (const auto& n : named) {
    Endpoint& ep = n.group->endpoints[n.index];
    const dns::Answer& a = answers[index.at({ep.host, ep.port})];
    if (!a.ok) {
      Diagnostics(errors, n.file, &warnings)
          .warn(n.mark, "endpoint URL '" + ep.url + "': host '" + ep.host + "' does not resolve (" + a.error +
                            "); its routes answer 503 until it does (the gateway keeps looking it up every "
                            "dns.refresh)");
      continue;
    }
    for (const auto& addr : a.addresses) {
      SocketAddress sa;
      sa.storage = addr.storage;
      sa.length = addr.length;
      sa.text = format_socket_address(reinterpret_cast<const sockaddr*>(&sa.storage));
      bool dup = std::any_of(ep.addresses.begin(), ep.addresses.end(),
                             [&](const SocketAddress& o) { return o.text == sa.text; });
      if (!dup) ep.addresses.push_back(std::move(sa));
    }
  }
}

}  // namespace postern::config::detail
