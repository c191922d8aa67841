#include "keymanager/verified_secrets.h"

#include <openssl/crypto.h>

#include "keymanager/secret_hash.h"

namespace postern::keymanager {

bool VerifiedSecrets::verify(std::string_view client_id, std::string_view stored_hash, std::string_view secret) {
  std::string pair(stored_hash);
  pair += '\n';
  pair += secret;
  const std::string digest = sha256_hex(pair);
  auto it = digests_.find(std::string(client_id));
  if (it != digests_.end() && it->second.size() == digest.size() &&
      CRYPTO_memcmp(it->second.data(), digest.data(), digest.size()) == 0)
    return true;
  if (!verify_secret(secret, stored_hash)) return false;
  if (digests_.size() >= kMaxEntries) digests_.clear();
  digests_[std::string(client_id)] = digest;
  return true;
}

}  // namespace postern::keymanager
