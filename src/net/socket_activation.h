#pragma once
// Socket activation (the sd_listen_fds(3) protocol, read without libsystemd): a service
// manager, or any parent, binds the listening sockets and passes them as fds 3, 4, … with
// LISTEN_FDS=<count> and LISTEN_PID=<our pid> in the environment. The parent keeps its
// copy, so connections made while no gateway runs (a restart, an idle service that starts
// on its first connection) wait in the socket's backlog instead of being refused.
#include <sys/socket.h>

#include <string>
#include <vector>

namespace postern::net {

struct InheritedSocket {
  int fd = -1;
  sockaddr_storage address{};  // what getsockname() reports
  socklen_t length = 0;
  std::string text;  // "127.0.0.1:9090" or "[::1]:9090", for logs and errors
};

// Takes the sockets passed to this process. None when LISTEN_FDS is unset, or when
// LISTEN_PID is not this process (the variables were meant for an ancestor). Always unsets
// LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES and marks the fds close-on-exec, so nothing
// this process starts inherits them. Call it before starting threads (it edits the
// environment). Every fd must be a listening TCP socket (IPv4 or IPv6); otherwise returns
// false and says which fd is what in `error`.
bool take_inherited_sockets(std::vector<InheritedSocket>& out, std::string& error);

// Same family, address and port (the IPv6 scope id too).
bool same_socket_address(const sockaddr_storage& a, const sockaddr_storage& b);

// "127.0.0.1:9090" / "[::1]:9090"; "(family N)" for anything else.
std::string socket_address_text(const sockaddr_storage& a);

}  // namespace postern::net
