#pragma once
// `postern analytics collect`: the HTTP(S) endpoint gateways upload closed event files to
// (upload protocol: docs/analytics.md). Boost.Beast over Asio coroutines on one
// thread; each upload is parsed, validated and stored in one transaction before it is
// answered, so a 200 always means "committed".
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "collector/credentials.h"
#include "collector/event_store.h"

namespace postern::collector {

struct CollectorOptions {
  std::string listen = "127.0.0.1:9470";  // HOST:PORT ("[v6]:PORT" for IPv6)
  std::string db_url;
  Credentials credentials;
  bool allow_anonymous = false;       // --insecure-no-auth: no credential required
  std::string tls_cert, tls_key;      // both set: HTTPS only
  size_t max_file_size = 256u << 20;  // bytes, for the body and for its decompressed size
};

// An HTTP answer: status and JSON body (plus WWW-Authenticate on a 401).
struct Answer {
  int status = 200;
  std::string body;
  std::string www_authenticate;
};

// What one upload request carries, independent of the HTTP library (unit-testable).
struct Upload {
  std::string_view file_id;  // from the path, not yet validated
  std::string_view body;
  std::string_view content_encoding;       // "" or "gzip" (others are refused)
  std::optional<std::string_view> events;  // X-Postern-Events as sent
  std::string_view node;                   // X-Postern-Node
};

// Validates and stores one upload: 200 (stored or duplicate), 400, 413 or 503. Logs one
// line per file. Credentials are checked before this is called.
Answer handle_upload(EventStore& store, const Upload& upload, size_t max_file_size);

// Runs until SIGTERM or SIGINT; returns the process exit code.
int run_collector(const CollectorOptions& options);

}  // namespace postern::collector
