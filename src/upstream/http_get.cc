#include "upstream/http_get.h"

#include "core/strings.h"
#include "http/chunked_decoder.h"
#include "http/head_parser.h"
#include "net/transport.h"

namespace postern::upstream {

net::awaitable<HttpGetResult> http_get(std::string url, std::shared_ptr<net::asio::ssl::context> tls,
                                       std::chrono::milliseconds timeout, size_t max_body) {
  co_return co_await http_fetch("GET", std::move(url), "Accept: application/json\r\n", {}, std::move(tls), timeout,
                                max_body);
}

net::awaitable<HttpGetResult> http_fetch(std::string method, std::string url, std::string extra_headers,
                                         std::string body, std::shared_ptr<net::asio::ssl::context> tls,
                                         std::chrono::milliseconds timeout, size_t max_body) {
  HttpGetResult res;
  bool https = url.starts_with("https://");
  if (!https && !url.starts_with("http://")) {
    res.error = "not an http(s) URL";
    co_return res;
  }
  std::string rest = url.substr(https ? 8 : 7);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string target = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string host = authority, port = https ? "443" : "80";
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (size_t colon = authority.rfind(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (https && !tls) {
    res.error = "no TLS context for https";
    co_return res;
  }
  auto ex = co_await net::asio::this_coro::executor;
  net::error_code ec;
  net::tcp::resolver resolver(ex);
  auto endpoints = co_await resolver.async_resolve(host, port, net::with_ec(ec));
  if (ec) {
    res.error = "cannot resolve " + host + ": " + ec.message();
    co_return res;
  }
  net::tcp::socket socket(ex);
  std::shared_ptr<net::Transport> t;
  // The whole exchange is bounded: the timer closes the socket when it fires. The handler
  // owns what it touches (it may run after this coroutine has returned).
  net::asio::steady_timer timer(ex, timeout);
  auto timed_out_flag = std::make_shared<bool>(false);
  auto arm = [&] {
    timer.async_wait([t, timed_out_flag](const net::error_code& e) {
      if (e) return;
      *timed_out_flag = true;
      t->close();
    });
  };
  co_await net::asio::async_connect(socket, endpoints, net::with_ec(ec));
  if (ec) {
    res.error = "cannot connect to " + authority + ": " + ec.message();
    co_return res;
  }
  t = https ? std::make_shared<net::Transport>(std::move(socket), *tls)
            : std::make_shared<net::Transport>(std::move(socket));
  arm();
  const bool& timed_out = *timed_out_flag;
  if (https) {
    co_await t->connect_tls(host, true, ec);
    if (ec) {
      res.error = "TLS handshake with " + authority + " failed: " + ec.message();
      timer.cancel();
      co_return res;
    }
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + authority + "\r\n" + extra_headers +
                    "User-Agent: postern\r\nConnection: close\r\n";
  if (!body.empty()) req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n";
  req += body;
  co_await t->write(net::asio::buffer(req), ec);
  std::string buf;
  char chunk[16384];
  http::HeadScan scan;
  for (;;) {
    if (ec) break;
    size_t n = co_await t->read_some(net::asio::buffer(chunk), ec);
    buf.append(chunk, n);
    scan = http::find_head_end(buf.data(), buf.size(), 64 * 1024, 502);
    if (scan.kind != http::HeadScan::Kind::kNeedMore) break;
  }
  if (scan.kind != http::HeadScan::Kind::kComplete) {
    res.error = timed_out ? "timed out" : ec ? "connection failed: " + ec.message() : "invalid response head";
    timer.cancel();
    co_return res;
  }
  http::ResponseHead head;
  if (http::parse_response_head(buf.data() + scan.skip, scan.head_end - scan.skip, false, head)) {
    res.error = "invalid response head";
    timer.cancel();
    co_return res;
  }
  res.status = head.status;
  for (const auto& h : head.headers) {
    if (iequals(h.name, "cache-control")) res.cache_control = std::string(h.value);
  }
  std::string raw_body = buf.substr(scan.head_end);
  // Read the rest of the body (the server closes: Connection: close).
  while (!ec && raw_body.size() <= max_body + 64) {
    if (head.framing == http::BodyFraming::kContentLength && raw_body.size() >= head.content_length) break;
    size_t n = co_await t->read_some(net::asio::buffer(chunk), ec);
    raw_body.append(chunk, n);
  }
  timer.cancel();
  if (timed_out) {
    res.error = "timed out";
    co_return res;
  }
  if (head.framing == http::BodyFraming::kChunked) {
    http::ChunkedDecoder dec;
    size_t consumed = 0;
    if (dec.feed(raw_body.data(), raw_body.size(), res.body, consumed) != http::ChunkedDecoder::Result::kDone) {
      res.error = "truncated chunked body";
      co_return res;
    }
  } else if (head.framing == http::BodyFraming::kContentLength) {
    if (raw_body.size() < head.content_length) {
      res.error = "truncated body";
      co_return res;
    }
    res.body = raw_body.substr(0, head.content_length);
  } else {
    res.body = std::move(raw_body);
  }
  if (res.body.size() > max_body) {
    res.error = "body larger than " + std::to_string(max_body) + " bytes";
    co_return res;
  }
  if (res.status < 200 || res.status > 299) {
    res.error = "HTTP status " + std::to_string(res.status);
    co_return res;
  }
  t->close();
  res.ok = true;
  co_return res;
}

}  // namespace postern::upstream
