#include "net/listener_socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cstring>

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

tcp::acceptor adopt_listener(asio::io_context& ioc, int fd, std::string& error) {
  tcp::acceptor acceptor(ioc);
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    error = std::string("getsockname: ") + std::strerror(errno);
    return acceptor;
  }
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) {
    error = std::string("cannot duplicate the inherited socket: ") + std::strerror(errno);
    return acceptor;
  }
  error_code ec;
  acceptor.assign(addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), copy, ec);
  if (ec) {
    ::close(copy);
    error = "cannot use the inherited socket: " + ec.message();
  }
  return acceptor;
}

}  // namespace postern::net
