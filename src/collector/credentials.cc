#include "collector/credentials.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "core/base64.h"

namespace postern::collector {

bool secret_equal(std::string_view a, std::string_view b) {
  unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da);
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db);
  return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

namespace {
// Case-insensitive scheme match ("Bearer" / "bearer"), followed by one or more spaces.
bool take_scheme(std::string_view& v, std::string_view scheme) {
  if (v.size() <= scheme.size()) return false;
  for (size_t i = 0; i < scheme.size(); ++i) {
    char c = v[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != scheme[i]) return false;
  }
  if (v[scheme.size()] != ' ') return false;
  v.remove_prefix(scheme.size());
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  return !v.empty();
}
}  // namespace

bool Credentials::accepts(std::string_view authorization) const {
  std::string_view v = authorization;
  if (token_ && take_scheme(v, "bearer")) return secret_equal(v, *token_);
  v = authorization;
  if (basic_user_ && take_scheme(v, "basic")) {
    std::string decoded;
    if (!base64_decode(v, decoded)) return false;
    size_t colon = decoded.find(':');
    if (colon == std::string::npos) return false;
    // Both halves are always compared, so timing does not reveal which one was wrong.
    bool user_ok = secret_equal(std::string_view(decoded).substr(0, colon), *basic_user_);
    bool password_ok = secret_equal(std::string_view(decoded).substr(colon + 1), *basic_password_);
    return user_ok & password_ok;
  }
  return false;
}

std::string Credentials::challenge() const {
  if (token_ && basic_user_) return "Bearer realm=\"postern-collector\", Basic realm=\"postern-collector\"";
  if (basic_user_) return "Basic realm=\"postern-collector\"";
  return "Bearer realm=\"postern-collector\"";
}

}  // namespace postern::collector
