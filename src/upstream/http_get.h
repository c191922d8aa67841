#pragma once
// A one-shot HTTP/1.1 client for the control plane (JWKS documents, revocation lists,
// introspection, analytics uploads), not the data path: runs on the calling loop, resolves
// the host, connects (TLS with verification for https), reads the whole (bounded) body,
// closes. One timeout bounds everything from resolving to the last byte.
#include <chrono>
#include <memory>
#include <string>

#include "net/asio.h"

namespace postern::upstream {

// How long a periodic control-plane fetch (a JWKS, a revocation list) may take, from
// resolving the host to the last byte. docs/security.md quotes it.
inline constexpr std::chrono::milliseconds kControlPlaneTimeout{10'000};

struct HttpGetResult {
  bool ok = false;            // a complete 2xx response was read, or a 304 to a conditional GET
  bool not_modified = false;  // that 304: the caller's copy is current (body empty)
  int status = 0;
  std::string body;
  std::string error;  // why not ok
  std::string cache_control;
  std::string etag;  // the response's ETag as sent ("" when none)
};

// `tls` is used for https:// URLs (null: https fails with an error). `max_body` bounds the
// body; `timeout` bounds the whole exchange. A non-empty `if_none_match` (an ETag from an
// earlier response) makes the GET conditional.
net::awaitable<HttpGetResult> http_get(std::string url, std::shared_ptr<net::asio::ssl::context> tls,
                                       std::chrono::milliseconds timeout, size_t max_body = 1 << 20,
                                       std::string if_none_match = {});

// The same with the caller's header lines (complete "Name: value\r\n" lines: Accept,
// Authorization) in place of "Accept: application/json".
net::awaitable<HttpGetResult> http_get_with(std::string url, std::string headers,
                                            std::shared_ptr<net::asio::ssl::context> tls,
                                            std::chrono::milliseconds timeout, size_t max_body,
                                            std::string if_none_match);

// The same for any method: `extra_headers` are complete "Name: value\r\n" lines; a
// non-empty `body` is sent with Content-Length.
net::awaitable<HttpGetResult> http_fetch(std::string method, std::string url, std::string extra_headers,
                                         std::string body, std::shared_ptr<net::asio::ssl::context> tls,
                                         std::chrono::milliseconds timeout, size_t max_body = 1 << 20);

}  // namespace postern::upstream
