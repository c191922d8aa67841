#pragma once
// Who the caller is, once authentication succeeded: handed to later filters (throttling,
// the backend JWT), to analytics and to the access log.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace postern::filters {

struct Identity {
  std::string scheme;          // "jwt"
  std::string issuer;          // configured issuer name
  std::string subject;         // `sub`
  std::string consumer_key;    // the OAuth2 client (issuer.consumer_key_claim)
  std::string application_id;  // WSO2 `application` claim
  std::string application_name;
  std::string application_tier;
  std::string subscription_tier;  // from the matching subscribedAPIs entry
  std::string jti;
  bool sandbox = false;  // keytype SANDBOX
  std::vector<std::string> scopes;
  int64_t expires_at = 0;  // unix seconds (`exp`)
  // WSO2 subscriptions (the `subscribedAPIs` claim), checked per API when the issuer has
  // validate_subscription on.
  struct Subscription {
    std::string name;
    std::string version;  // "*" = any
    std::string tier;
  };
  bool validate_subscription = false;
  std::vector<Subscription> subscriptions;
  // WSO2 API-key tokens: `allowedAPIs` (checked when present).
  bool has_allowed_apis = false;
  std::vector<Subscription> allowed_apis;
  // Claims the configuration asked for by name (throttling `key: claim:NAME`), as text.
  std::vector<std::pair<std::string, std::string>> claims;
  const std::string* claim(std::string_view name) const {
    for (const auto& [n, v] : claims)
      if (n == name) return &v;
    return nullptr;
  }
};

}  // namespace postern::filters
