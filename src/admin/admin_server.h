#pragma once
// The admin listener, on the main thread (design.md: the main thread never touches a
// request, and the admin endpoints are not on the data path):
//   GET  /health   200 {"status":"healthy"} while the process runs
//   GET  /ready    200 when the config is loaded and workers run; 503 while draining
//   GET  /metrics  Prometheus text format 0.0.4
//   GET  /config   the APIs and routes in force, as JSON
//   POST /reload   same as SIGHUP; 200, or 400 with the errors (the old config stays)
// Bind it to loopback (the default): it is unauthenticated.
#include <memory>
#include <string>

#include "admin/admin_backend.h"
#include "config/snapshot.h"
#include "net/asio.h"

namespace postern::admin {

class AdminServer {
 public:
  AdminServer(net::asio::io_context& loop, AdminBackend& backend);
  bool listen(const config::SocketAddress& address, std::string& error);
  void close();

 private:
  net::awaitable<void> accept_loop();
  net::awaitable<void> serve(net::tcp::socket socket);

  net::asio::io_context& loop_;
  AdminBackend& backend_;
  net::tcp::acceptor acceptor_;
};

}  // namespace postern::admin
