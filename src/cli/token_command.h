#pragma once
// `postern token`: mints a development JWT signed with a local private key, so the
// quickstart and tests need no external identity provider. Not for production tokens.
#include <cstdint>
#include <string>
#include <vector>

namespace postern::cli {

struct TokenOptions {
  std::string key_file;  // PEM private key (RSA, EC P-256/384/521, Ed25519)
  std::string alg;       // default from the key: RS256, ES256/384/512, EdDSA
  std::string kid;
  std::string issuer = "postern-dev";
  std::string subject = "developer";
  std::vector<std::string> audiences;
  std::string scopes;  // space-separated
  int64_t lifetime_seconds = 3600;
  std::vector<std::string> apis;          // "Name:version" (version may be "*") -> subscribedAPIs
  std::vector<std::string> allowed_apis;  // "Name:version" -> allowedAPIs (WSO2 API-key tokens)
  std::string tier = "Unlimited";         // subscriptionTier of each subscribed API
  std::string app_id = "1";
  std::string app_name = "DefaultApplication";
  std::string app_tier = "Unlimited";
  std::vector<std::string> extra_claims;  // "name=value": string claims added as they are
  std::string keytype = "PRODUCTION";
  std::string consumer_key = "postern-dev-client";
};

int run_token(const TokenOptions& options);

// `postern jwks --key FILE [--kid K]...`: prints a JWKS with the public half of each key
// (to publish the keys `postern token` signs with, e.g. for a jwks_url issuer).
int run_jwks(const std::vector<std::string>& key_files, const std::vector<std::string>& kids);

}  // namespace postern::cli
