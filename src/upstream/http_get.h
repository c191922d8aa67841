#pragma once
// A one-shot HTTP/1.1 GET for the control plane (JWKS documents), not the data path: runs on
// the main thread's loop, resolves the host, connects (TLS with verification for https),
// reads the whole (bounded) body, closes.
#include <chrono>
#include <memory>
#include <string>

#include "net/asio.h"

namespace postern::upstream {

struct HttpGetResult {
  bool ok = false;  // a complete 2xx response was read
  int status = 0;
  std::string body;
  std::string error;  // why not ok
  std::string cache_control;
};

// `tls` is used for https:// URLs (null: https fails with an error). `max_body` bounds the
// body; `timeout` bounds the whole exchange.
net::awaitable<HttpGetResult> http_get(std::string url, std::shared_ptr<net::asio::ssl::context> tls,
                                       std::chrono::milliseconds timeout, size_t max_body = 1 << 20);

// The same for any method: `extra_headers` are complete "Name: value\r\n" lines; a
// non-empty `body` is sent with Content-Length.
net::awaitable<HttpGetResult> http_fetch(std::string method, std::string url, std::string extra_headers,
                                         std::string body, std::shared_ptr<net::asio::ssl::context> tls,
                                         std::chrono::milliseconds timeout, size_t max_body = 1 << 20);

}  // namespace postern::upstream
