#include "filters/auth/static_credentials.h"

#include <openssl/evp.h>

#include "core/base64.h"
#include "core/strings.h"
#include "filters/auth/password_hash.h"

namespace postern::filters {
namespace {

std::string sha256_hex(std::string_view data) {
  TokenDigest d = digest_token(data);
  std::string hex;
  for (uint8_t b : d) append_hex(hex, b, 2);
  return hex;
}

}  // namespace

StaticCredentials::StaticCredentials(const config::SecurityConfig& security, SlotRegistry& slots) {
  const size_t entries = security.token_cache_entries;
  basic_cache_ = slots.declare<TokenCache>([entries](const SlotEnv&) { return std::make_unique<TokenCache>(entries); });
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
}

StaticCredentials::Result StaticCredentials::lookup_basic(std::string_view basic_value, WorkerSlots& slots,
                                                          int64_t now) const {
  Result res;
  TokenCache& cache = slots.get(basic_cache_);
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
  auto check = std::make_shared<PasswordCheck>();
  check->cache_key = key;
  check->user = decoded.substr(0, colon);
  check->password = decoded.substr(colon + 1);
  auto it = users_.find(check->user);
  if (it == users_.end()) {
    // An unknown user costs as much as a wrong password, so response timing does not
    // reveal which user names exist.
    static const std::string kDummy = hash_password("postern-dummy-password");
    check->hash = kDummy;
  } else {
    check->hash = it->second.password_hash;
    check->known_user = true;
  }
  res.check = std::move(check);
  return res;
}

bool StaticCredentials::verify(const PasswordCheck& check) {
  bool matched = verify_password(check.password, check.hash);
  return matched && check.known_user;
}

StaticCredentials::Result StaticCredentials::finish_basic(const PasswordCheck& check, bool matched, WorkerSlots& slots,
                                                          int64_t now) const {
  Result res;
  if (!check.known_user) {
    res.reason = "unknown_user";
    return res;
  }
  auto it = users_.find(check.user);
  if (!matched || it == users_.end()) {
    res.reason = "bad_password";
    return res;
  }
  auto id = std::make_shared<Identity>();
  id->scheme = "basic";
  id->subject = check.user;
  id->consumer_key = check.user;
  id->scopes = it->second.scopes;
  id->expires_at = now + kBasicCacheSeconds;
  slots.get(basic_cache_).insert(check.cache_key, id);
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
