#pragma once
// km.yaml: the configuration of `postern keymanager` (docs/keymanager.md "Configuration").
// Loaded like postern.yaml: every error with file:line:col and how to fix it, all at once.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/loader.h"
#include "config/snapshot.h"
#include "jose/alg.h"

namespace postern::keymanager {

struct KmConfig {
  config::SocketAddress listen;             // `listen: 127.0.0.1:9443`
  std::filesystem::path tls_cert, tls_key;  // both set: HTTPS; neither: HTTP (loopback only)
  std::string issuer;                       // `iss` of every token; base of the endpoint URLs
  std::vector<std::string> audiences;       // `aud` of access tokens
  std::string store_url;                    // sqlite:///abs/path, a file path, or postgresql://…
  // The 32-byte key (64 hex digits or base64) that seals signing keys at rest: the
  // variable or file that holds it (KeySealer::from_env_or_file reads it).
  std::string master_key_env;
  std::filesystem::path master_key_file;
  std::string admin_token;                    // bearer token of the admin API ("" = admin API off)
  std::filesystem::path project;              // gateway project whose APIs declare scopes ("" = none)
  jose::Alg signing_alg = jose::Alg::kES256;  // ES256, EdDSA or RS256
  std::chrono::seconds access_lifetime{3600};
  std::chrono::seconds refresh_lifetime{86400};
  std::chrono::seconds key_lifetime{30 * 86400};  // a key signs this long, then the next one does
  std::chrono::seconds publish_ahead{600};        // a new key is in the JWKS this long before it signs
  // Failed client authentications (and password grants) allowed per client id and per
  // client IP within `failed_auth_window`; beyond that: 429 until the window passes.
  unsigned failed_auth_max = 10;
  std::chrono::seconds failed_auth_window{60};
};

struct KmLoadResult {
  std::optional<KmConfig> config;
  std::vector<config::Diagnostic> diagnostics;
};

KmLoadResult load_km_config(const std::filesystem::path& file);

}  // namespace postern::keymanager
