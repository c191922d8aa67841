#pragma once
// Remembers secrets that passed the slow scrypt check, so a client that asks for a token
// every few seconds costs one SHA-256, not 0.1 s of scrypt, each time. An entry holds a
// digest of (stored hash, secret): a rotated secret (new stored hash) misses it, and the
// secret itself is never kept. Wrong secrets are never cached (each costs the full check,
// and the failed-auth limiter bounds how many are tried).
#include <string>
#include <string_view>
#include <unordered_map>

namespace postern::keymanager {

class VerifiedSecrets {
 public:
  static constexpr size_t kMaxEntries = 10000;

  // verify_secret(secret, stored_hash), from the cache when this exact pair passed before.
  bool verify(std::string_view client_id, std::string_view stored_hash, std::string_view secret);

 private:
  std::unordered_map<std::string, std::string> digests_;  // client id -> digest of a good pair
};

}  // namespace postern::keymanager
