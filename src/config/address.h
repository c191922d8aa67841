#pragma once
// Socket address and backend URL parsing for the config loader (load time only).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/snapshot.h"
#include "core/status.h"

namespace postern::config {

struct HostPort {
  std::string host;  // without brackets for IPv6
  uint16_t port = 0;
};

// "host:port" or "[v6]:port". `allow_port_zero` lets listeners ask for an ephemeral port.
Status parse_host_port(std::string_view text, bool allow_port_zero, HostPort& out);

// getaddrinfo, numeric first; `passive` for listening sockets. Every distinct address found.
Status resolve(const HostPort& hp, bool passive, std::vector<SocketAddress>& out);

// An IPv4 or IPv6 literal (no brackets): needs no resolver.
bool is_numeric_host(const std::string& host);

// Formats a sockaddr as "1.2.3.4:80" or "[::1]:80".
std::string format_socket_address(const sockaddr* sa);

// Parses "http(s)://host[:port][/path][?query]" into `out` (url, tls, host, port,
// host_header, base_path, query); does not resolve. The message says what is wrong and what is expected.
Status parse_endpoint_url(std::string_view url, Endpoint& out);

}  // namespace postern::config
