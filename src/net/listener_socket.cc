#include "net/listener_socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

namespace postern::net {

tcp::acceptor open_listener(asio::io_context& ioc, const sockaddr* addr, socklen_t len, bool reuse_port,
                            std::string& error) {
  tcp::acceptor acceptor(ioc);
  error_code ec;
  tcp::endpoint ep;
  std::memcpy(ep.data(), addr, len);
  ep.resize(len);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && reuse_port) {
    int one = 1;
    if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
      ec = error_code(errno, boost::system::system_category());
  }
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(4096, ec);
  if (ec) {
    error = "cannot listen on " + ep.address().to_string() + ":" + std::to_string(ep.port()) + ": " + ec.message();
    acceptor.close(ec);
  }
  return acceptor;
}

}  // namespace postern::net
