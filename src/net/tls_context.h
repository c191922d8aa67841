#pragma once
// TLS contexts, built once per snapshot (keys are parsed once, design.md "Performance rules").
#include <filesystem>
#include <memory>
#include <string>

#include "net/asio.h"

namespace postern::net {

// Server context: TLS 1.2 and 1.3, ALPN "http/1.1" only (HTTP/2 comes later).
// On failure returns null and sets `error` (OpenSSL's reason included).
// With `client_ca_file`, client certificates are requested and verified against it;
// `require_client_cert` makes the handshake fail without one.
std::shared_ptr<asio::ssl::context> make_server_tls(const std::filesystem::path& cert_file,
                                                    const std::filesystem::path& key_file, std::string& error,
                                                    const std::filesystem::path& client_ca_file = {},
                                                    bool require_client_cert = false);

// Client context for https:// endpoints: the system CA store, or `ca_file` when given.
std::shared_ptr<asio::ssl::context> make_client_tls(const std::filesystem::path& ca_file, std::string& error);

}  // namespace postern::net
