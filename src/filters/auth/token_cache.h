#pragma once
// Verified-token cache, one per worker (no locks). Keyed by the SHA-256 of the raw token,
// so tokens are not kept in memory and a lookup compares 32 bytes. Entries never outlive
// the token's `exp`; the cache is bounded and evicts the oldest entries first.
#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "filters/identity.h"

namespace postern::filters {

using TokenDigest = std::array<uint8_t, 32>;
TokenDigest digest_token(std::string_view token);

class TokenCache {
 public:
  explicit TokenCache(size_t capacity) : capacity_(capacity) {}
  // The identity for a token verified earlier and not expired at `now`, or null.
  std::shared_ptr<const Identity> find(const TokenDigest& key, int64_t now);
  void insert(const TokenDigest& key, std::shared_ptr<const Identity> identity);
  size_t size() const { return map_.size(); }

 private:
  struct Hash {
    size_t operator()(const TokenDigest& d) const {
      size_t h;
      std::memcpy(&h, d.data(), sizeof h);  // already uniformly distributed
      return h;
    }
  };
  size_t capacity_;
  std::unordered_map<TokenDigest, std::shared_ptr<const Identity>, Hash> map_;
  std::deque<TokenDigest> order_;  // insertion order, for eviction
};

}  // namespace postern::filters
