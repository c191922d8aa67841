#include "filters/auth/token_cache.h"

#include <openssl/evp.h>

#include <memory>

namespace postern::filters {

TokenDigest digest_token(std::string_view token) {
  // OpenSSL 3's one-shot EVP_Digest() fetches the algorithm (under a lock) and allocates a
  // context on every call; this runs on every authenticated request, so the algorithm is
  // fetched once and each thread reuses its own context.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  TokenDigest d{};
  unsigned int len = 0;
  if (!sha256 || !ctx || EVP_DigestInit_ex2(ctx.get(), sha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), token.data(), token.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), d.data(), &len) != 1) {
    // Cannot happen with a working libcrypto; fall back to the one-shot form.
    EVP_Digest(token.data(), token.size(), d.data(), &len, EVP_sha256(), nullptr);
  }
  return d;
}

std::shared_ptr<const Identity> TokenCache::find(const TokenDigest& key, int64_t now) {
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  if (it->second->expires_at != 0 && now >= it->second->expires_at) {
    map_.erase(it);  // its slot in order_ is skipped when it comes up for eviction
    return nullptr;
  }
  return it->second;
}

void TokenCache::insert(const TokenDigest& key, std::shared_ptr<const Identity> identity) {
  if (capacity_ == 0) return;
  while (map_.size() >= capacity_ && !order_.empty()) {
    map_.erase(order_.front());
    order_.pop_front();
  }
  if (map_.insert_or_assign(key, std::move(identity)).second) order_.push_back(key);
  // order_ may hold keys already erased (expired); keep it from growing without bound.
  if (order_.size() > 2 * capacity_ + 16) {
    std::deque<TokenDigest> live;
    for (const auto& k : order_) {
      if (map_.count(k)) live.push_back(k);
    }
    order_.swap(live);
  }
}

}  // namespace postern::filters
