#pragma once
// Listening sockets: one per worker per listener, SO_REUSEPORT, so the kernel spreads
// connections over workers and no accept lock exists (design.md "Threading").
#include <sys/socket.h>

#include <string>

#include "net/asio.h"

namespace postern::net {

// Opens, binds and listens. On failure returns a closed acceptor and sets `error`.
tcp::acceptor open_listener(asio::io_context& ioc, const sockaddr* addr, socklen_t len, bool reuse_port,
                            std::string& error);

// Convenience for anything that carries a sockaddr_storage and its length.
template <class Address>
tcp::acceptor open_listener_for(asio::io_context& ioc, const Address& a, std::string& error) {
  return open_listener(ioc, reinterpret_cast<const sockaddr*>(&a.storage), a.length, true, error);
}

}  // namespace postern::net
