#include "net/socket_activation.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace postern::net {

namespace {

constexpr int kFirstFd = 3;      // SD_LISTEN_FDS_START
constexpr long kMaxFds = 1024;  // a bound for a corrupt LISTEN_FDS, not a real limit

bool parse_number(const char* text, long& out) {
  if (!text || !*text) return false;
  std::string_view s(text);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Checks that `fd` is a listening TCP socket and fills in its address.
bool inspect(int fd, InheritedSocket& s, std::string& error) {
  const std::string where = "inherited fd " + std::to_string(fd) + " (LISTEN_FDS)";
  s.fd = fd;
  s.length = sizeof s.address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&s.address), &s.length) != 0) {
    error = where + " is not a socket: " + std::strerror(errno);
    return false;
  }
  s.text = socket_address_text(s.address);
  int type = 0, listening = 0;
  socklen_t len = sizeof type;
  ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
  len = sizeof listening;
  ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
  const int family = s.address.ss_family;
  if ((family != AF_INET && family != AF_INET6) || type != SOCK_STREAM || !listening) {
    error = where + " bound to " + s.text + " is not a listening TCP socket (postern.socket needs ListenStream=)";
    return false;
  }
  return true;
}

}  // namespace

bool take_inherited_sockets(std::vector<InheritedSocket>& out, std::string& error) {
  out.clear();
  const char* fds_text = std::getenv("LISTEN_FDS");
  const char* pid_text = std::getenv("LISTEN_PID");
  long count = 0, pid = 0;
  const bool present = fds_text != nullptr;
  const bool for_us = present && parse_number(pid_text, pid) && pid == long(::getpid());
  const bool count_ok = parse_number(fds_text, count) && count >= 0 && count <= kMaxFds;
  const std::string fds_copy = fds_text ? fds_text : "";
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDNAMES");
  if (!for_us) return true;
  if (!count_ok) {
    error = "LISTEN_FDS='" + fds_copy + "' is not a number of inherited sockets";
    return false;
  }
  for (int fd = kFirstFd; fd < kFirstFd + int(count); ++fd) {
    InheritedSocket s;
    if (!inspect(fd, s, error)) return false;
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    out.push_back(std::move(s));
  }
  return true;
}

bool same_socket_address(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
    return x.sin6_port == y.sin6_port && x.sin6_scope_id == y.sin6_scope_id &&
           std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0;
  }
  return false;
}

std::string socket_address_text(const sockaddr_storage& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    ::inet_ntop(AF_INET, &x.sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(x.sin_port));
  }
  if (a.ss_family == AF_INET6) {
    const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
    ::inet_ntop(AF_INET6, &x.sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(x.sin6_port));
  }
  return "(family " + std::to_string(a.ss_family) + ")";
}

}  // namespace postern::net
