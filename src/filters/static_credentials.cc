#include "filters/static_credentials.h"

#include <openssl/evp.h>

#include "core/strings.h"
#include "filters/password_hash.h"
#include "jose/base64url.h"

namespace postern::filters {
namespace {

// Standard base64 (RFC 4648 §4, with padding) as HTTP Basic uses it.
bool base64_decode(std::string_view in, std::string& out) {
  std::string url(in);
  while (!url.empty() && url.back() == '=') url.pop_back();
  for (char& c : url) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
    else if (c == '-' || c == '_') return false;
  }
  return jose::base64url_decode(url, out);
}

std::string sha256_hex(std::string_view data) {
  TokenDigest d = digest_token(data);
  std::string hex;
  for (uint8_t b : d) append_hex(hex, b, 2);
  return hex;
}

}  // namespace

StaticCredentials::StaticCredentials(const config::SecurityConfig& security, unsigned workers) {
  for (const auto& u : security.users) users_.emplace(u.username, u);
  for (const auto& k : security.api_keys) {
    auto id = std::make_shared<Identity>();
    id->scheme = "api_key";
    id->subject = k.name;
    id->consumer_key = k.name;
    id->application_name = k.application;
    id->subscription_tier = k.tier;
    id->scopes = k.scopes;
    keys_.emplace(k.sha256_hex, std::make_pair(k, std::move(id)));
  }
  for (unsigned i = 0; i < std::max(1u, workers); ++i) {
    basic_caches_.push_back(std::make_unique<TokenCache>(security.token_cache_entries));
  }
  budgets_.resize(basic_caches_.size());
}

StaticCredentials::Result StaticCredentials::check_basic(std::string_view basic_value, unsigned worker,
                                                         int64_t now) const {
  Result res;
  TokenCache& cache = *basic_caches_[worker % basic_caches_.size()];
  TokenDigest key = digest_token(basic_value);
  if (auto id = cache.find(key, now)) {
    res.ok = true;
    res.identity = std::move(id);
    return res;
  }
  std::string decoded;
  if (!base64_decode(trim(basic_value), decoded)) {
    res.reason = "malformed_basic";
    return res;
  }
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) {
    res.reason = "malformed_basic";
    return res;
  }
  Budget& budget = budgets_[worker % budgets_.size()];
  if (budget.second != now) budget = Budget{now, 0};
  if (++budget.used > kBasicChecksPerSecond) {
    res.reason = "basic_busy";
    res.busy = true;
    return res;
  }
  std::string user = decoded.substr(0, colon);
  auto it = users_.find(user);
  if (it == users_.end()) {
    // Spend the same time as a real check so response timing does not reveal which user
    // names exist.
    static const std::string kDummy = hash_password("postern-dummy-password");
    verify_password(decoded.substr(colon + 1), kDummy);
    res.reason = "unknown_user";
    return res;
  }
  if (!verify_password(decoded.substr(colon + 1), it->second.password_hash)) {
    res.reason = "bad_password";
    return res;
  }
  auto id = std::make_shared<Identity>();
  id->scheme = "basic";
  id->subject = user;
  id->consumer_key = user;
  id->scopes = it->second.scopes;
  id->expires_at = now + kBasicCacheSeconds;
  cache.insert(key, id);
  res.ok = true;
  res.identity = std::move(id);
  return res;
}

StaticCredentials::Result StaticCredentials::check_api_key(std::string_view key) const {
  Result res;
  auto it = keys_.find(sha256_hex(key));
  if (it == keys_.end()) {
    res.reason = "unknown_api_key";
    return res;
  }
  res.ok = true;
  res.identity = it->second.second;
  res.api_key = &it->second.first;
  return res;
}

}  // namespace postern::filters
