#include "cli/echo_server.h"

#include <openssl/evp.h>

#include <map>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/log.h"
#include "core/strings.h"
#include "http/chunked_decoder.h"
#include "http/head_parser.h"
#include "http/local_reply.h"
#include "net/asio.h"
#include "net/listener_socket.h"

namespace postern::cli {
namespace {

std::atomic<uint64_t> g_connections{0};

std::string query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    size_t eq = kv.find('=');
    if (kv.substr(0, eq) == name) return std::string(eq == std::string_view::npos ? "" : kv.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  void update(const char* p, size_t n) { EVP_DigestUpdate(ctx_, p, n); }
  std::string hex() {
    unsigned char md[32];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, md, &len);
    std::string out;
    for (unsigned i = 0; i < len; ++i) fmt::format_to(std::back_inserter(out), "{:02x}", md[i]);
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

net::awaitable<void> serve(net::tcp::socket socket) {
  uint64_t conn_id = ++g_connections;
  // Which address the request reached: tests tell two echo backends on one port apart.
  net::error_code local_ec;
  auto local_ep = socket.local_endpoint(local_ec);
  const std::string local = local_ec ? std::string() : local_ep.address().to_string();
  uint64_t request_no = 0;
  std::vector<char> buf(64 * 1024);
  size_t len = 0;
  net::error_code ec;
  for (;;) {
    http::HeadScan scan;
    for (;;) {
      if (len) {
        scan = http::find_head_end(buf.data(), len, 32 * 1024, 431);
        if (scan.kind != http::HeadScan::Kind::kNeedMore) break;
      }
      if (len == buf.size()) co_return;
      size_t n = co_await socket.async_read_some(net::asio::buffer(buf.data() + len, buf.size() - len),
                                                 net::with_ec(ec));
      if (ec) co_return;
      len += n;
    }
    if (scan.kind == http::HeadScan::Kind::kError) co_return;
    http::RequestHead req;
    if (http::parse_request_head(buf.data() + scan.skip, scan.head_end - scan.skip, 16 * 1024, req)) co_return;
    ++request_no;
    // Copy what we need from the head: the buffer is reused for the body.
    std::string method(req.method), path(req.path), query(req.query);
    std::string version = req.version_minor ? "HTTP/1.1" : "HTTP/1.0";
    std::map<std::string, std::vector<std::string>> headers;
    for (const auto& h : req.headers) {
      std::string name(h.name);
      for (auto& c : name) c = ascii_lower(c);
      headers[name].emplace_back(h.value);
    }
    bool keep_alive = req.keep_alive;
    bool expect = req.expect_continue;
    auto framing = req.framing;
    uint64_t content_length = req.content_length;
    size_t pos = scan.head_end;

    if (expect && framing != http::BodyFraming::kNone) {
      co_await net::asio::async_write(socket, net::asio::buffer(std::string_view("HTTP/1.1 100 Continue\r\n\r\n")),
                                      net::with_ec(ec));
      if (ec) co_return;
    }
    // Body
    Sha256 sha;
    std::string body;
    uint64_t body_bytes = 0;
    auto take = [&](const char* p, size_t n) {
      sha.update(p, n);
      if (body.size() < 65536) body.append(p, std::min<size_t>(n, 65536 - body.size()));
      body_bytes += n;
    };
    if (framing == http::BodyFraming::kContentLength) {
      uint64_t remaining = content_length;
      for (;;) {
        size_t avail = std::min<uint64_t>(len - pos, remaining);
        take(buf.data() + pos, avail);
        pos += avail;
        remaining -= avail;
        if (remaining == 0) break;
        len = pos = 0;
        size_t n = co_await socket.async_read_some(net::asio::buffer(buf), net::with_ec(ec));
        if (ec) co_return;
        len = n;
      }
    } else if (framing == http::BodyFraming::kChunked) {
      http::ChunkedDecoder dec;
      std::string payload;
      for (;;) {
        size_t consumed = 0;
        payload.clear();
        auto r = dec.feed(buf.data() + pos, len - pos, payload, consumed);
        pos += consumed;
        take(payload.data(), payload.size());
        if (r == http::ChunkedDecoder::Result::kError) co_return;
        if (r == http::ChunkedDecoder::Result::kDone) break;
        len = pos = 0;
        size_t n = co_await socket.async_read_some(net::asio::buffer(buf), net::with_ec(ec));
        if (ec) co_return;
        len = n;
      }
    }
    // Leftover (pipelined) bytes move to the front.
    std::memmove(buf.data(), buf.data() + pos, len - pos);
    len -= pos;

    int status = 200;
    if (auto s = parse_u64(query_param(query, "status")); s && *s >= 100 && *s <= 599) status = int(*s);
    uint64_t delay_ms = parse_u64(query_param(query, "delay_ms")).value_or(0);
    auto bytes = parse_u64(query_param(query, "bytes"));
    bool chunked = query_param(query, "chunked") == "1";
    if (query_param(query, "close") == "1") keep_alive = false;
    if (delay_ms) {
      net::asio::steady_timer t(socket.get_executor(), std::chrono::milliseconds(delay_ms));
      co_await t.async_wait(net::with_ec(ec));
    }
    std::string payload;
    std::string content_type = "application/json";
    if (bytes) {
      content_type = "application/octet-stream";
    } else {
      payload += "{\"method\":\"";
      append_json_escaped(payload, method);
      payload += "\",\"path\":\"";
      append_json_escaped(payload, path);
      payload += "\",\"query\":\"";
      append_json_escaped(payload, query);
      payload += "\",\"version\":\"" + version + "\",\"headers\":{";
      bool first = true;
      for (const auto& [name, values] : headers) {
        if (!first) payload += ",";
        first = false;
        payload += "\"";
        append_json_escaped(payload, name);
        payload += "\":[";
        for (size_t i = 0; i < values.size(); ++i) {
          if (i) payload += ",";
          payload += "\"";
          append_json_escaped(payload, values[i]);
          payload += "\"";
        }
        payload += "]";
      }
      payload += "},";
      if (body_bytes <= 65536) {
        payload += "\"body\":\"";
        append_json_escaped(payload, body);
        payload += "\",";
      }
      fmt::format_to(std::back_inserter(payload),
                     "\"body_bytes\":{},\"body_sha256\":\"{}\",\"connection\":{},\"request_on_connection\":{},"
                     "\"local_address\":\"{}\"}}",
                     body_bytes, sha.hex(), conn_id, request_no, local);
    }
    bool no_body = status == 204 || status == 304 || (status >= 100 && status < 200);
    bool head = method == "HEAD";
    uint64_t total = bytes ? *bytes : payload.size();
    std::string out = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\n", status, http::reason_phrase(status),
                                  content_type);
    if (!no_body) {
      if (chunked) out += "Transfer-Encoding: chunked\r\n";
      else fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", total);
    }
    if (!keep_alive) out += "Connection: close\r\n";
    out += "\r\n";
    if (no_body || head) {
      co_await net::asio::async_write(socket, net::asio::buffer(out), net::with_ec(ec));
    } else if (!bytes) {
      if (chunked) {
        fmt::format_to(std::back_inserter(out), "{:x}\r\n", payload.size());
        out += payload;
        out += "\r\n0\r\n\r\n";
      } else {
        out += payload;
      }
      co_await net::asio::async_write(socket, net::asio::buffer(out), net::with_ec(ec));
    } else {
      co_await net::asio::async_write(socket, net::asio::buffer(out), net::with_ec(ec));
      std::string block;
      uint64_t sent = 0;
      while (!ec && sent < total) {
        size_t n = size_t(std::min<uint64_t>(total - sent, 64 * 1024));
        block.clear();
        if (chunked) fmt::format_to(std::back_inserter(block), "{:x}\r\n", n);
        for (size_t i = 0; i < n; ++i) block.push_back(char('a' + (sent + i) % 26));
        if (chunked) block += "\r\n";
        sent += n;
        co_await net::asio::async_write(socket, net::asio::buffer(block), net::with_ec(ec));
      }
      if (!ec && chunked)
        co_await net::asio::async_write(socket, net::asio::buffer(std::string_view("0\r\n\r\n")), net::with_ec(ec));
    }
    if (ec || !keep_alive) {
      socket.shutdown(net::tcp::socket::shutdown_both, ec);
      co_return;
    }
  }
}

net::awaitable<void> accept_loop(net::tcp::acceptor& acceptor) {
  for (;;) {
    net::error_code ec;
    auto socket = co_await acceptor.async_accept(net::with_ec(ec));
    if (ec) {
      if (!acceptor.is_open()) co_return;
      continue;
    }
    socket.set_option(net::tcp::no_delay(true), ec);
    net::asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), net::asio::detached);
  }
}

}  // namespace

int run_echo(const EchoOptions& options) {
  net::asio::io_context ioc(1);
  net::error_code ec;
  std::string host = options.listen, port;
  size_t colon = host.rfind(':');
  if (colon == std::string::npos) {
    log::error("--listen must be HOST:PORT, got '{}'", options.listen);
    return 2;
  }
  port = host.substr(colon + 1);
  host = host.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  auto addr = net::asio::ip::make_address(host, ec);
  auto port_num = parse_u64(port);
  if (ec || !port_num || *port_num > 65535) {
    log::error("--listen must be a numeric IP and port (e.g. 127.0.0.1:8080), got '{}'", options.listen);
    return 2;
  }
  net::tcp::endpoint ep(addr, uint16_t(*port_num));
  std::string error;
  auto acceptor = net::open_listener(ioc, ep.data(), socklen_t(ep.size()), false, error);
  if (!acceptor.is_open()) {
    log::error("echo: {}", error);
    return 1;
  }
  net::asio::signal_set signals(ioc, SIGTERM, SIGINT);
  signals.async_wait([&](const net::error_code&, int) { ioc.stop(); });
  net::asio::co_spawn(ioc, accept_loop(acceptor), net::asio::detached);
  log::info("echo backend listening on {}", options.listen);
  ioc.run();
  return 0;
}

}  // namespace postern::cli
