#include "collector/credentials.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace postern::collector {

bool secret_equal(std::string_view a, std::string_view b) {
  unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da);
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db);
  return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

bool base64_decode(std::string_view in, std::string& out) {
  out.clear();
  if (in.size() % 4 != 0) return false;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = in[i + j];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad) return false;  // data after padding
      v[j] = value(c);
      if (v[j] < 0) return false;
    }
    unsigned n = (unsigned(v[0]) << 18) | (unsigned(v[1]) << 12) | (unsigned(v[2]) << 6) | unsigned(v[3]);
    out += static_cast<char>(n >> 16);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return true;
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
