// postern.yaml `dns:`: where backend host names are looked up and how often again.
#include <arpa/inet.h>

#include "config/address.h"
#include "config/internal.h"

namespace postern::config::detail {
namespace {

// A name server must be numeric: resolving the resolver's own name would need a resolver.
bool valid_server(const std::string& s) {
  in6_addr buf;
  if (inet_pton(AF_INET, s.c_str(), &buf) == 1 || inet_pton(AF_INET6, s.c_str(), &buf) == 1) return true;
  HostPort hp;
  if (!parse_host_port(s, false, hp)) return false;
  return inet_pton(AF_INET, hp.host.c_str(), &buf) == 1 || inet_pton(AF_INET6, hp.host.c_str(), &buf) == 1;
}

}  // namespace

void parse_dns(Diagnostics& d, const Entry& e, DnsConfig& out) {
  MapReader m(d, e.value, "dns", std::vector<std::string_view>{"servers", "refresh", "timeout"});
  if (!m.ok()) return;
  if (const Entry* f = m.get("servers")) {
    if (!f->value.IsSequence() || f->value.size() == 0) {
      d.error(f->value.IsNull() ? f->key : f->value,
              "'dns.servers' must be a non-empty list of name server addresses, e.g. [\"10.0.0.2\", "
              "\"127.0.0.1:5353\"]; omit it to use /etc/resolv.conf");
    } else {
      for (const auto& s : f->value) {
        if (!s.IsScalar() || !valid_server(s.Scalar())) {
          d.error(s, "'" + (s.IsScalar() ? s.Scalar() : std::string("?")) +
                         "' is not a name server address; write an IP address with an optional port "
                         "(\"10.0.0.2\", \"127.0.0.1:5353\", \"[fd00::53]:53\")");
        } else {
          out.servers.push_back(s.Scalar());
        }
      }
    }
  }
  // A period of 0 would look names up back to back; a 100 ms floor still lets tests be quick.
  if (const Entry* f = m.get("refresh")) {
    if (auto ms = read_duration(d, *f, "dns.refresh")) {
      if (ms->count() < 100) d.error(f->value, "'dns.refresh' must be at least 100ms (e.g. \"30s\")");
      else out.refresh = *ms;
    }
  }
  if (const Entry* f = m.get("timeout")) {
    if (auto ms = read_duration(d, *f, "dns.timeout")) {
      if (ms->count() < 10) d.error(f->value, "'dns.timeout' must be at least 10ms (e.g. \"2s\")");
      else out.timeout = *ms;
    }
  }
}

}  // namespace postern::config::detail
