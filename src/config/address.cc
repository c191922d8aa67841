#include "config/address.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <cstring>

#include "core/strings.h"

namespace postern::config {

Status parse_host_port(std::string_view text, bool allow_port_zero, HostPort& out) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::error("address '" + std::string(text) + "' must look like \"[::1]:9090\"");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return Status::error("address '" + std::string(text) +
                           "' has no port; write it as \"host:port\", e.g. \"0.0.0.0:9090\"");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return Status::error("address '" + std::string(text) + "': put an IPv6 host in brackets, e.g. \"[::1]:9090\"");
    }
  }
  if (host.empty()) {
    return Status::error("address '" + std::string(text) +
                         "' has no host; use \"0.0.0.0:PORT\" to listen on every IPv4 interface");
  }
  auto p = parse_u64(port);
  if (!p || *p > 65535 || (*p == 0 && !allow_port_zero)) {
    return Status::error("address '" + std::string(text) + "': port must be a number from " +
                         (allow_port_zero ? "0" : "1") + " to 65535");
  }
  out.host = std::string(host);
  out.port = uint16_t(*p);
  return Status();
}

bool is_numeric_host(const std::string& host) {
  in6_addr buf;
  return inet_pton(AF_INET, host.c_str(), &buf) == 1 || inet_pton(AF_INET6, host.c_str(), &buf) == 1;
}

std::string format_socket_address(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "?";
}

namespace {

int lookup(const HostPort& hp, bool passive, int extra_flags, addrinfo** res) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = (passive ? AI_PASSIVE : 0) | extra_flags;
  std::string port = std::to_string(hp.port);
  return getaddrinfo(hp.host.c_str(), port.c_str(), &hints, res);
}

}  // namespace

Status resolve(const HostPort& hp, bool passive, std::vector<SocketAddress>& out) {
  addrinfo* res = nullptr;
  int rc = lookup(hp, passive, AI_NUMERICHOST | AI_NUMERICSERV, &res);
  if (rc != 0) rc = lookup(hp, passive, AI_NUMERICSERV, &res);
  if (rc != 0) {
    return Status::error("cannot resolve host '" + hp.host + "': " + gai_strerror(rc));
  }
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    SocketAddress a;
    std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
    a.length = socklen_t(ai->ai_addrlen);
    a.text = format_socket_address(ai->ai_addr);
    bool dup = std::any_of(out.begin(), out.end(), [&](const SocketAddress& o) { return o.text == a.text; });
    if (!dup) out.push_back(std::move(a));
  }
  freeaddrinfo(res);
  if (out.empty()) return Status::error("host '" + hp.host + "' has no IPv4 or IPv6 address");
  return Status();
}

Status parse_endpoint_url(std::string_view url, Endpoint& out) {
  auto bad = [&](std::string why) {
    return Status::error("endpoint URL '" + std::string(url) + "' " + why +
                         "; expected http://host[:port][/path] or https://host[:port][/path]");
  };
  std::string_view rest;
  if (url.size() >= 7 && iequals(url.substr(0, 7), "http://")) {
    out.tls = false;
    rest = url.substr(7);
  } else if (url.size() >= 8 && iequals(url.substr(0, 8), "https://")) {
    out.tls = true;
    rest = url.substr(8);
  } else {
    return bad("must start with http:// or https://");
  }
  if (rest.find('#') != std::string_view::npos) return bad("must not have a fragment ('#')");
  // A query is kept and sent with every request (merged with the client's query, see
  // http/forward_head.cc); WSO2 accepts such URLs too.
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    if (query.find_first_of(" \t") != std::string_view::npos) return bad("has spaces in its query");
    while (query.ends_with('&')) query.remove_suffix(1);
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return bad("must not contain user info (use securityConfig for backend credentials)");
  }
  if (authority.empty()) return bad("has no host");
  std::string_view host = authority, port;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("has an unterminated IPv6 literal");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("has junk after the IPv6 literal");
      port = after.substr(1);
      if (port.empty()) return bad("has an empty port");
    }
  } else {
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) return bad("has an empty port");
    }
  }
  if (host.empty()) return bad("has no host");
  if (host.find_first_of(" \t[]") != std::string_view::npos) return bad("has an invalid host");
  uint16_t default_port = out.tls ? 443 : 80;
  if (!port.empty()) {
    auto p = parse_u64(port);
    if (!p || *p == 0 || *p > 65535) return bad("has an invalid port (1-65535)");
    out.port = uint16_t(*p);
  } else {
    out.port = default_port;
  }
  out.url = std::string(url);
  out.host = std::string(host);
  bool v6 = out.host.find(':') != std::string::npos;
  std::string bracketed = v6 ? "[" + out.host + "]" : out.host;
  out.host_header = out.port == default_port ? bracketed : bracketed + ":" + std::to_string(out.port);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.base_path = std::string(path);
  out.query = std::string(query);
  return Status();
}

}  // namespace postern::config
