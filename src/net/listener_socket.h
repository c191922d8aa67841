#pragma once
// Listening sockets: one per worker per listener, SO_REUSEPORT, so the kernel spreads
// connections over workers and no accept lock exists (design.md "Threading"). A socket
// inherited through socket activation (net/socket_activation.h) is shared instead: each
// worker accepts on its own duplicate of it (docs/deployment.md).
#include <sys/socket.h>

#include <string>

#include "net/asio.h"

namespace postern::net {

// Opens, binds and listens. On failure returns a closed acceptor and sets `error`.
tcp::acceptor open_listener(asio::io_context& ioc, const sockaddr* addr, socklen_t len, bool reuse_port,
                            std::string& error);

// Wraps a duplicate of the listening socket `fd` (which stays open for the caller), so
// closing the acceptor never closes the socket the others accept on. On failure returns a
// closed acceptor and sets `error`.
tcp::acceptor adopt_listener(asio::io_context& ioc, int fd, std::string& error);

// Convenience for anything that carries a sockaddr_storage and its length.
template <class Address>
tcp::acceptor open_listener_for(asio::io_context& ioc, const Address& a, std::string& error) {
  return open_listener(ioc, reinterpret_cast<const sockaddr*>(&a.storage), a.length, true, error);
}

}  // namespace postern::net
