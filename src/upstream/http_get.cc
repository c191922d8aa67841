#include "upstream/http_get.h"

#include "core/strings.h"
#include "http/chunked_decoder.h"
#include "http/head_parser.h"
#include "net/transport.h"

namespace postern::upstream {
namespace {

struct Target {
  bool https = false;
  std::string authority, host, port, path;
};

bool split_url(const std::string& url, Target& out) {
  out.https = url.starts_with("https://");
  if (!out.https && !url.starts_with("http://")) return false;
  std::string rest = url.substr(out.https ? 8 : 7);
  size_t slash = rest.find('/');
  out.authority = rest.substr(0, slash);
  out.path = slash == std::string::npos ? "/" : rest.substr(slash);
  out.host = out.authority;
  out.port = out.https ? "443" : "80";
  if (!out.authority.empty() && out.authority[0] == '[') {
    size_t close = out.authority.find(']');
    out.host = out.authority.substr(1, close - 1);
    if (close + 1 < out.authority.size() && out.authority[close + 1] == ':') out.port = out.authority.substr(close + 2);
  } else if (size_t colon = out.authority.rfind(':'); colon != std::string::npos) {
    out.host = out.authority.substr(0, colon);
    out.port = out.authority.substr(colon + 1);
  }
  return true;
}

// What the exchange's timer reaches: it cancels the resolve and closes the connection, so
// a peer that never answers a SYN bounds the fetch as much as one that never answers a
// request. Shared with the timer's handler, which may run after the coroutine returned.
struct FetchState {
  explicit FetchState(const net::asio::any_io_executor& ex) : resolver(ex) {}
  net::tcp::resolver resolver;
  std::shared_ptr<net::Transport> transport;
  bool timed_out = false;
};

net::awaitable<void> open(FetchState& x, const Target& t, net::asio::ssl::context* tls, HttpGetResult& res) {
  net::error_code ec;
  auto endpoints = co_await x.resolver.async_resolve(t.host, t.port, net::with_ec(ec));
  if (ec) {
    res.error = x.timed_out ? "timed out resolving " + t.host : "cannot resolve " + t.host + ": " + ec.message();
    co_return;
  }
  co_await net::asio::async_connect(x.transport->socket(), endpoints, net::with_ec(ec));
  if (ec) {
    res.error = x.timed_out ? "timed out connecting to " + t.authority
                            : "cannot connect to " + t.authority + ": " + ec.message();
    co_return;
  }
  if (tls) {
    co_await x.transport->connect_tls(t.host, true, ec);
    if (ec) {
      res.error = x.timed_out ? "timed out in the TLS handshake with " + t.authority
                              : "TLS handshake with " + t.authority + " failed: " + ec.message();
    }
  }
}

// Reads the response head into `head` (pointing into `buf`); what follows it stays in `buf`
// past `head_end`. False (with res.error) when no usable head arrived.
net::awaitable<bool> read_head(FetchState& x, std::string& buf, size_t& head_end, http::ResponseHead& head,
                               HttpGetResult& res) {
  net::error_code ec;
  char chunk[16384];
  http::HeadScan scan;
  while (!ec) {
    size_t n = co_await x.transport->read_some(net::asio::buffer(chunk), ec);
    buf.append(chunk, n);
    scan = http::find_head_end(buf.data(), buf.size(), 64 * 1024, 502);
    if (scan.kind != http::HeadScan::Kind::kNeedMore) break;
  }
  if (scan.kind != http::HeadScan::Kind::kComplete) {
    res.error = x.timed_out ? "timed out" : ec ? "connection failed: " + ec.message() : "invalid response head";
    co_return false;
  }
  if (http::parse_response_head(buf.data() + scan.skip, scan.head_end - scan.skip, false, head)) {
    res.error = "invalid response head";
    co_return false;
  }
  head_end = scan.head_end;
  co_return true;
}

// Reads the rest of the body after `raw` (the server closes: Connection: close) and removes
// its framing into res.body. False (with res.error) when it is incomplete or too large.
net::awaitable<bool> read_body(FetchState& x, const http::ResponseHead& head, std::string raw, size_t max_body,
                               HttpGetResult& res) {
  net::error_code ec;
  char chunk[16384];
  const bool no_body = head.framing == http::BodyFraming::kNone;
  while (!no_body && !ec && raw.size() <= max_body + 64) {
    if (head.framing == http::BodyFraming::kContentLength && raw.size() >= head.content_length) break;
    size_t n = co_await x.transport->read_some(net::asio::buffer(chunk), ec);
    raw.append(chunk, n);
  }
  if (x.timed_out) {
    res.error = "timed out";
    co_return false;
  }
  if (head.framing == http::BodyFraming::kChunked) {
    http::ChunkedDecoder dec;
    size_t consumed = 0;
    if (dec.feed(raw.data(), raw.size(), res.body, consumed) != http::ChunkedDecoder::Result::kDone) {
      res.error = "truncated chunked body";
      co_return false;
    }
  } else if (head.framing == http::BodyFraming::kContentLength) {
    if (raw.size() < head.content_length) {
      res.error = "truncated body";
      co_return false;
    }
    res.body = raw.substr(0, head.content_length);
  } else if (!no_body) {
    res.body = std::move(raw);
  }
  if (res.body.size() > max_body) {
    res.error = "body larger than " + std::to_string(max_body) + " bytes";
    co_return false;
  }
  co_return true;
}

}  // namespace

net::awaitable<HttpGetResult> http_get(std::string url, std::shared_ptr<net::asio::ssl::context> tls,
                                       std::chrono::milliseconds timeout, size_t max_body, std::string if_none_match) {
  return http_get_with(std::move(url), "Accept: application/json\r\n", std::move(tls), timeout, max_body,
                       std::move(if_none_match));
}

net::awaitable<HttpGetResult> http_get_with(std::string url, std::string headers,
                                            std::shared_ptr<net::asio::ssl::context> tls,
                                            std::chrono::milliseconds timeout, size_t max_body,
                                            std::string if_none_match) {
  // An ETag is a quoted string without line breaks (the head parser refuses them anyway).
  const bool conditional = !if_none_match.empty() && if_none_match.find_first_of("\r\n") == std::string::npos;
  if (conditional) headers += "If-None-Match: " + if_none_match + "\r\n";
  auto res = co_await http_fetch("GET", std::move(url), std::move(headers), {}, std::move(tls), timeout, max_body);
  if (conditional && res.status == 304 && res.body.empty()) {
    res.ok = true;
    res.not_modified = true;
    res.error.clear();
  }
  co_return res;
}

net::awaitable<HttpGetResult> http_fetch(std::string method, std::string url, std::string extra_headers,
                                         std::string body, std::shared_ptr<net::asio::ssl::context> tls,
                                         std::chrono::milliseconds timeout, size_t max_body) {
  HttpGetResult res;
  Target t;
  if (!split_url(url, t)) {
    res.error = "not an http(s) URL";
    co_return res;
  }
  if (t.https && !tls) {
    res.error = "no TLS context for https";
    co_return res;
  }
  auto ex = co_await net::asio::this_coro::executor;
  auto x = std::make_shared<FetchState>(ex);
  x->transport = t.https ? std::make_shared<net::Transport>(net::tcp::socket(ex), *tls)
                         : std::make_shared<net::Transport>(net::tcp::socket(ex));
  net::asio::steady_timer timer(ex, timeout);
  timer.async_wait([x](const net::error_code& e) {
    if (e) return;
    x->timed_out = true;
    x->resolver.cancel();
    x->transport->close();
  });
  co_await open(*x, t, t.https ? tls.get() : nullptr, res);
  if (!res.error.empty()) co_return res;
  std::string req = method + " " + t.path + " HTTP/1.1\r\nHost: " + t.authority + "\r\n" + extra_headers +
                    "User-Agent: postern\r\nConnection: close\r\n";
  if (!body.empty()) req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n";
  req += body;
  net::error_code ec;
  co_await x->transport->write(net::asio::buffer(req), ec);
  if (ec) {
    res.error = x->timed_out ? "timed out" : "cannot send the request: " + ec.message();
    co_return res;
  }
  std::string buf;
  size_t head_end = 0;
  http::ResponseHead head;
  if (!co_await read_head(*x, buf, head_end, head, res)) co_return res;
  res.status = head.status;
  for (const auto& h : head.headers) {
    if (iequals(h.name, "cache-control")) res.cache_control = std::string(h.value);
    if (iequals(h.name, "etag")) res.etag = std::string(h.value);
  }
  if (!co_await read_body(*x, head, buf.substr(head_end), max_body, res)) co_return res;
  timer.cancel();
  x->transport->close();
  if (res.status < 200 || res.status > 299) {
    res.error = "HTTP status " + std::to_string(res.status);
    co_return res;
  }
  res.ok = true;
  co_return res;
}

}  // namespace postern::upstream
