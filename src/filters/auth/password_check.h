#pragma once
#include <array>
#include <cstdint>
#include <string>

namespace postern::filters {

// A Basic password to verify off the worker (scrypt costs ~50 ms of CPU by design). Owns
// copies of everything it needs: it may outlive the request on the checking thread.
struct PasswordCheck {
  std::array<uint8_t, 32> cache_key{};  // SHA-256 of the credential (TokenDigest), for the cache
  std::string user;
  std::string password;
  std::string hash;  // the user's stored hash, or a dummy one for unknown users
  bool known_user = false;
};

}  // namespace postern::filters
