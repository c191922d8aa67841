#include "admin/admin_server.h"

#include <fmt/format.h>

#include <optional>

#include "core/strings.h"
#include "http/head_parser.h"
#include "http/local_reply.h"
#include "net/listener_socket.h"

namespace postern::admin {

AdminServer::AdminServer(net::asio::io_context& loop, AdminBackend& backend)
    : loop_(loop), backend_(backend), acceptor_(loop) {}

bool AdminServer::listen(const config::SocketAddress& address, std::string& error) {
  acceptor_ = net::open_listener(loop_, reinterpret_cast<const sockaddr*>(&address.storage), address.length, false,
                                 error);
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
  return fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", status,
                     http::reason_phrase(status), content_type, body.size(), body);
}

std::string error_json(int code, std::string_view message, std::string_view description) {
  std::string body = "{\"code\":" + std::to_string(code) + ",\"message\":\"";
  append_json_escaped(body, message);
  body += "\",\"description\":\"";
  append_json_escaped(body, description);
  body += "\"}";
  return body;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value of query parameter `name`, %XX- and '+'-decoded; nullopt when absent or badly encoded.
std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    size_t eq = kv.find('=');
    if (kv.substr(0, eq) == name) {
      std::string_view raw = eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1);
      std::string out;
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '%') {
          if (i + 2 >= raw.size() || hex_value(raw[i + 1]) < 0 || hex_value(raw[i + 2]) < 0) return std::nullopt;
          out += char(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2]));
          i += 2;
        } else {
          out += raw[i] == '+' ? ' ' : raw[i];
        }
      }
      return out;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// Constant-time comparison of the presented token with the configured one.
bool token_matches(std::string_view presented, std::string_view expected) {
  if (presented.size() != expected.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < expected.size(); ++i) diff |= uint8_t(presented[i] ^ expected[i]);
  return diff == 0;
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
    size_t n = co_await socket.async_read_some(net::asio::buffer(buf.data() + len, buf.size() - len), net::with_ec(ec));
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
    bool open_endpoint = get && (path == "/health" || path == "/ready" || path == "/metrics");
    std::string token = backend_.admin_token();
    bool authorized = token.empty();
    if (!token.empty()) {
      for (const auto& h : req.headers) {
        if (iequals(h.name, "authorization") && h.value.size() > 7 && iequals(h.value.substr(0, 7), "bearer ")) {
          authorized = token_matches(trim(h.value.substr(7)), token);
        }
      }
    }
    bool is_blocks = path == "/throttle/blocks";
    bool mutating = req.method == "POST" || req.method == "DELETE";
    if (!open_endpoint && !authorized) {
      out = response(401, "application/json",
                     error_json(401, "Unauthorized", "admin calls need 'Authorization: Bearer <admin token>'"));
    } else if (is_blocks && mutating && token.empty()) {
      out = response(403, "application/json",
                     error_json(403, "Forbidden",
                                "changing blocking conditions needs an admin token: set admin.token_env or "
                                "admin.token_file in postern.yaml"));
    } else if (is_blocks && get) {
      out = response(200, "application/json", backend_.admin_blocks());
    } else if (is_blocks && req.method == "POST") {
      auto type = query_param(req.query, "type");
      auto value = query_param(req.query, "value");
      std::string error;
      uint64_t id = 0;
      if (!type || !value) error = "POST /throttle/blocks?type=ip|api|application|user&value=VALUE (URL-encoded)";
      else id = backend_.admin_add_block(*type, *value, error);
      if (id == 0) {
        out = response(400, "application/json", error_json(400, "Bad Request", error));
      } else {
        out = response(201, "application/json", "{\"id\":" + std::to_string(id) + "}");
      }
    } else if (is_blocks && req.method == "DELETE") {
      auto id = query_param(req.query, "id");
      auto n = id ? parse_u64(*id) : std::nullopt;
      if (!n) {
        out = response(400, "application/json", error_json(400, "Bad Request", "DELETE /throttle/blocks?id=N"));
      } else if (!backend_.admin_remove_block(*n)) {
        out = response(404, "application/json",
                       error_json(404, "Not Found", "no blocking condition added through the admin API has that id"));
      } else {
        out = response(200, "application/json", "{\"removed\":" + std::to_string(*n) + "}");
      }
    } else if (path == "/throttle/tiers" && get) {
      out = response(200, "application/json", backend_.admin_throttle_tiers());
    } else if (path == "/throttle/counters" && get) {
      auto key = query_param(req.query, "key");
      std::string body = key ? backend_.admin_throttle_counter(*key) : std::string();
      if (!key)
        out = response(400, "application/json", error_json(400, "Bad Request", "GET /throttle/counters?key=KEY"));
      else if (body.empty())
        out = response(404, "application/json",
                       error_json(404, "Not Found", "no counter for that key in the current window"));
      else out = response(200, "application/json", body);
    } else if (path == "/health" && get) {
      out = response(200, "application/json", R"({"status":"healthy"})");
    } else if (path == "/ready" && get) {
      bool ready = backend_.admin_ready();
      std::string body = ready ? R"({"status":"ready")" : R"({"status":"not ready")";
      if (std::string bundle = backend_.admin_bundle_json(); !bundle.empty()) body += ",\"bundle\":" + bundle;
      out = response(ready ? 200 : 503, "application/json", body + "}");
    } else if (path == "/metrics" && get) {
      out = response(200, "text/plain; version=0.0.4; charset=utf-8", backend_.admin_metrics());
    } else if (path == "/config" && get) {
      out = response(200, "application/json", backend_.admin_config_json());
    } else if (path == "/revoke" && req.method == "POST") {
      std::string jti;
      std::string_view q = req.query;
      if (q.starts_with("jti="))
        jti = std::string(q.substr(4, q.find('&') == std::string_view::npos ? q.size() - 4 : q.find('&') - 4));
      bool ok = !jti.empty() && jti.size() <= 256;
      for (char c : jti) ok = ok && c > 0x20 && c < 0x7f && c != '%';
      if (!ok) {
        out = response(
            400, "application/json",
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
      out = response(
          404, "application/json",
          R"({"code":404,"message":"Not Found","description":"admin endpoints: /health /ready /metrics /config /throttle/tiers /throttle/counters?key= /throttle/blocks, POST /reload, POST /revoke?jti=, POST|DELETE /throttle/blocks"})");
    }
    if (req.method == "HEAD") out.resize(out.find("\r\n\r\n") + 4);
  }
  net::error_code ec;
  co_await net::asio::async_write(socket, net::asio::buffer(out), net::with_ec(ec));
  socket.shutdown(net::tcp::socket::shutdown_both, ec);
}

}  // namespace postern::admin
