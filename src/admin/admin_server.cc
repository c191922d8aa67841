#include "admin/admin_server.h"

#include <fmt/format.h>

#include "core/strings.h"
#include "http/head_parser.h"
#include "http/local_reply.h"
#include "net/listener_socket.h"

namespace postern::admin {

AdminServer::AdminServer(net::asio::io_context& loop, AdminBackend& backend)
    : loop_(loop), backend_(backend), acceptor_(loop) {}

bool AdminServer::listen(const config::SocketAddress& address, std::string& error) {
  acceptor_ = net::open_listener(loop_, reinterpret_cast<const sockaddr*>(&address.storage),
                                 address.length, false, error);
  if (!acceptor_.is_open()) return false;
  net::asio::co_spawn(loop_, accept_loop(), net::asio::detached);
  return true;
}

void AdminServer::close() {
  net::error_code ec;
  acceptor_.close(ec);
}

net::awaitable<void> AdminServer::accept_loop() {
  for (;;) {
    net::error_code ec;
    auto socket = co_await acceptor_.async_accept(net::with_ec(ec));
    if (ec) {
      if (!acceptor_.is_open()) co_return;
      continue;
    }
    net::asio::co_spawn(loop_, serve(std::move(socket)), net::asio::detached);
  }
}

namespace {
std::string response(int status, std::string_view content_type, std::string_view body) {
  return fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                     status, http::reason_phrase(status), content_type, body.size(), body);
}
}  // namespace

net::awaitable<void> AdminServer::serve(net::tcp::socket socket) {
  // One request per connection, bounded in size and time.
  std::string buf(16 * 1024, '\0');
  size_t len = 0;
  net::asio::steady_timer timer(loop_, std::chrono::seconds(5));
  timer.async_wait([&socket](const net::error_code& ec) {
    if (!ec) {
      net::error_code ignored;
      socket.close(ignored);
    }
  });
  http::HeadScan scan;
  for (;;) {
    net::error_code ec;
    size_t n = co_await socket.async_read_some(net::asio::buffer(buf.data() + len, buf.size() - len),
                                               net::with_ec(ec));
    if (ec) co_return;
    len += n;
    scan = http::find_head_end(buf.data(), len, 8192, 431);
    if (scan.kind == http::HeadScan::Kind::kComplete) break;
    if (scan.kind == http::HeadScan::Kind::kError) co_return;
  }
  timer.cancel();
  http::RequestHead req;
  std::string out;
  if (http::parse_request_head(buf.data() + scan.skip, scan.head_end - scan.skip, 4096, req)) {
    out = response(400, "application/json", R"({"status":"bad request"})");
  } else {
    std::string_view path = req.path;
    bool get = req.method == "GET" || req.method == "HEAD";
    if (path == "/health" && get) {
      out = response(200, "application/json", R"({"status":"healthy"})");
    } else if (path == "/ready" && get) {
      bool ready = backend_.admin_ready();
      out = response(ready ? 200 : 503, "application/json",
                     ready ? R"({"status":"ready"})" : R"({"status":"not ready"})");
    } else if (path == "/metrics" && get) {
      out = response(200, "text/plain; version=0.0.4; charset=utf-8", backend_.admin_metrics());
    } else if (path == "/config" && get) {
      out = response(200, "application/json", backend_.admin_config_json());
    } else if (path == "/revoke" && req.method == "POST") {
      std::string jti;
      std::string_view q = req.query;
      if (q.starts_with("jti=")) jti = std::string(q.substr(4, q.find('&') == std::string_view::npos ? q.size() - 4 : q.find('&') - 4));
      bool ok = !jti.empty() && jti.size() <= 256;
      for (char c : jti) ok = ok && c > 0x20 && c < 0x7f && c != '%';
      if (!ok) {
        out = response(400, "application/json",
                       R"J({"status":"rejected","errors":["POST /revoke?jti=<token id> (printable, no escapes, at most 256 bytes)"]})J");
      } else {
        backend_.admin_revoke(jti);
        std::string body = R"({"status":"revoked","jti":")";
        append_json_escaped(body, jti);
        body += "\"}";
        out = response(200, "application/json", body);
      }
    } else if (path == "/reload" && req.method == "POST") {
      std::vector<std::string> errors;
      if (backend_.admin_reload(errors)) {
        out = response(200, "application/json", R"({"status":"reloaded"})");
      } else {
        std::string body = R"({"status":"rejected","errors":[)";
        for (size_t i = 0; i < errors.size(); ++i) {
          if (i) body += ",";
          body += "\"";
          append_json_escaped(body, errors[i]);
          body += "\"";
        }
        body += "]}";
        out = response(400, "application/json", body);
      }
    } else {
      out = response(404, "application/json",
                     R"({"code":404,"message":"Not Found","description":"admin endpoints: /health /ready /metrics /config, POST /reload, POST /revoke?jti="})");
    }
    if (req.method == "HEAD") out.resize(out.find("\r\n\r\n") + 4);
  }
  net::error_code ec;
  co_await net::asio::async_write(socket, net::asio::buffer(out), net::with_ec(ec));
  socket.shutdown(net::tcp::socket::shutdown_both, ec);
}

}  // namespace postern::admin
