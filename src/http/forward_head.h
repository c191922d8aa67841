#pragma once
// The heads the gateway writes when it forwards: the request head for the backend and the
// response head for the client. Pure functions of their inputs (no I/O, no state), so each
// rule — hop-by-hop headers dropped, forwarding headers trusted only from configured
// proxies, framing rebuilt, filter edits applied — is unit-tested on its own.
#include <string>
#include <string_view>

#include "http/head_parser.h"
#include "http/header_edits.h"

namespace postern::http {

struct UpstreamHead {
  const RequestHead& request;
  std::string_view base_path;          // the endpoint's path prefix
  std::string_view base_query;         // the endpoint URL's query ("" = none), sent first
  std::string_view path;               // the request path below the API's base path
  std::string_view host;               // the Host header for the backend
  std::string_view strip_query_param;  // a credential query parameter not to forward
  const HeaderEdits& edits;            // filters' changes (credential headers, backend JWT)
  // Forwarding headers: a client's own copies are kept only from a trusted proxy.
  bool trusted_peer = false;
  std::string_view peer_ip;  // the TCP peer, appended to X-Forwarded-For
  bool tls = false;          // X-Forwarded-Proto when the peer is not trusted
  std::string_view request_id;
  std::string_view traceparent;
  std::string_view tracestate;  // empty: none forwarded
};

// Replaces `out` with the request head for the backend.
void build_upstream_head(std::string& out, const UpstreamHead& in);

struct ClientResponseHead {
  const ResponseHead& response;
  int status = 0;            // may differ from response.status (a filter changed it)
  bool chunked = false;      // the body goes to the client chunked
  bool length_known = true;  // false: the upstream Content-Length no longer holds
  bool keep_alive = true;
  uint8_t client_version_minor = 1;
  std::string_view request_id;  // added when the backend sent none
  const HeaderEdits& edits;     // filters' changes (RateLimit-*, CORS …)
};

// Replaces `out` with the response head for the client.
void build_client_response_head(std::string& out, const ClientResponseHead& in);

}  // namespace postern::http
