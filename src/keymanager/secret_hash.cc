#include "keymanager/secret_hash.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "filters/auth/password_hash.h"
#include "jose/base64url.h"

namespace postern::keymanager {
namespace {

constexpr unsigned kScryptLn = 15;  // see secret_hash.h for the measured cost
constexpr std::string_view kScryptPrefix = "$scrypt$";
constexpr size_t kHashChars = 43;  // a 32-byte scrypt output in unpadded base64

}  // namespace

std::string hash_secret(std::string_view secret) {
  std::string encoded = filters::hash_password(secret, kScryptLn);
  if (encoded.empty()) throw std::runtime_error("hash_secret: OpenSSL could not compute scrypt");
  return encoded;
}

bool verify_secret(std::string_view secret, std::string_view encoded) {
  // Only what hash_secret makes: scrypt with a 32-byte output. verify_password also accepts
  // unsalted SHA-1/SHA-256 digests for old gateway configs, and scrypt outputs of 16..64
  // bytes made by other tools, where a hash cut short (even by one character, when that
  // still decodes) is a valid shorter hash of the same secret; nothing in the key manager
  // was ever stored that way.
  if (!encoded.starts_with(kScryptPrefix) || encoded.size() - encoded.rfind('$') - 1 != kHashChars) return false;
  return filters::verify_password(secret, encoded);
}

std::string random_token(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("random_token: OpenSSL has no randomness");
  return jose::base64url_encode(raw);
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("sha256_hex: OpenSSL digest failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace postern::keymanager
