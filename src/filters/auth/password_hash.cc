#include "filters/auth/password_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdint>

#include "jose/base64url.h"

namespace postern::filters {
namespace {

constexpr std::string_view kPrefix = "$scrypt$";
// ln=13 (N=8192, r=8: 8 MiB, ~50 ms here): the check runs on a worker thread, so the cost is
// a trade between offline cracking cost and how long a wrong password stalls a worker.
constexpr unsigned kDefaultLn = 13, kDefaultR = 8, kDefaultP = 1;
constexpr size_t kSaltBytes = 16, kHashBytes = 32;

constexpr unsigned kMinLn = 10, kMaxLn = 20;
constexpr unsigned kMaxR = 32, kMaxP = 16;
constexpr uint64_t kMaxMemory = uint64_t(256) << 20;  // 128*r*N
constexpr uint64_t kMaxWork = uint64_t(1) << 22;      // p*r*N
constexpr size_t kMinSalt = 8, kMaxSalt = 64, kMinHash = 16, kMaxHash = 64;

struct Scrypt {
  unsigned ln = 0, r = 0, p = 0;
  std::string salt, hash;
};

// Standard base64 without padding, via the strict base64url codec: the alphabets differ
// only in the last two characters.
std::string b64_encode(std::string_view in) {
  std::string out = jose::base64url_encode(in);
  for (char& c : out) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
  }
  return out;
}

bool b64_decode(std::string_view in, std::string& out) {
  std::string t(in);
  for (char& c : t) {
    if (c == '-' || c == '_') return false;
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  out.clear();
  return jose::base64url_decode(t, out);
}

// "<name>=<decimal>" with 1-2 digits and no leading zero; consumes it from `s`.
bool take_param(std::string_view& s, std::string_view name, unsigned& value) {
  if (s.substr(0, name.size()) != name || s.size() <= name.size() || s[name.size()] != '=') return false;
  s.remove_prefix(name.size() + 1);
  size_t n = 0;
  unsigned v = 0;
  while (n < s.size() && n < 3 && s[n] >= '0' && s[n] <= '9') v = v * 10 + unsigned(s[n++] - '0');
  if (n == 0 || n > 2 || (n > 1 && s[0] == '0')) return false;
  s.remove_prefix(n);
  value = v;
  return true;
}

bool params_ok(unsigned ln, unsigned r, unsigned p) {
  if (ln < kMinLn || ln > kMaxLn || r < 1 || r > kMaxR || p < 1 || p > kMaxP) return false;
  uint64_t n = uint64_t(1) << ln;
  return 128 * uint64_t(r) * n <= kMaxMemory && uint64_t(p) * r * n <= kMaxWork;
}

bool parse_scrypt(std::string_view s, Scrypt& out) {
  if (s.substr(0, kPrefix.size()) != kPrefix) return false;
  s.remove_prefix(kPrefix.size());
  if (!take_param(s, "ln", out.ln) || s.empty() || s[0] != ',') return false;
  s.remove_prefix(1);
  if (!take_param(s, "r", out.r) || s.empty() || s[0] != ',') return false;
  s.remove_prefix(1);
  if (!take_param(s, "p", out.p) || s.empty() || s[0] != '$') return false;
  s.remove_prefix(1);
  if (!params_ok(out.ln, out.r, out.p)) return false;
  size_t dollar = s.find('$');
  if (dollar == std::string_view::npos) return false;
  if (!b64_decode(s.substr(0, dollar), out.salt) || !b64_decode(s.substr(dollar + 1), out.hash)) return false;
  return out.salt.size() >= kMinSalt && out.salt.size() <= kMaxSalt && out.hash.size() >= kMinHash &&
         out.hash.size() <= kMaxHash;
}

bool derive(std::string_view password, std::string_view salt, unsigned ln, unsigned r, unsigned p, unsigned char* out,
            size_t out_len) {
  uint64_t n = uint64_t(1) << ln;
  // OpenSSL's default maxmem (32 MiB) is just below what N=2^15, r=8 needs; allow the
  // bounded maximum plus slack for its bookkeeping.
  uint64_t maxmem = 128 * uint64_t(r) * (n + 2) + 128 * uint64_t(r) * p + (1 << 20);
  return EVP_PBE_scrypt(password.data(), password.size(), reinterpret_cast<const unsigned char*>(salt.data()),
                        salt.size(), n, r, p, maxmem, out, out_len) == 1;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool hex_decode(std::string_view hex, unsigned char* out, size_t len) {
  if (hex.size() != 2 * len) return false;
  for (size_t i = 0; i < len; ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

constexpr std::string_view kSha256Prefix = "@sha256:{";

// Legacy WSO2 MGW 3.x forms: "@sha256:{hex}" or 40-hex SHA-1. Fills the expected digest.
bool parse_legacy(std::string_view s, unsigned char* digest, size_t& digest_len) {
  if (s.substr(0, kSha256Prefix.size()) == kSha256Prefix) {
    if (s.back() != '}') return false;
    digest_len = SHA256_DIGEST_LENGTH;
    return hex_decode(s.substr(kSha256Prefix.size(), s.size() - kSha256Prefix.size() - 1), digest, digest_len);
  }
  digest_len = SHA_DIGEST_LENGTH;
  return hex_decode(s, digest, digest_len);
}

}  // namespace

std::string hash_password(std::string_view password) { return hash_password(password, kDefaultLn); }

std::string hash_password(std::string_view password, unsigned ln) {
  if (!params_ok(ln, kDefaultR, kDefaultP)) return {};
  unsigned char salt[kSaltBytes], hash[kHashBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) return {};
  std::string_view salt_view(reinterpret_cast<const char*>(salt), sizeof salt);
  if (!derive(password, salt_view, ln, kDefaultR, kDefaultP, hash, sizeof hash)) return {};
  std::string out(kPrefix);
  out += "ln=" + std::to_string(ln) + ",r=" + std::to_string(kDefaultR) + ",p=" + std::to_string(kDefaultP) + "$";
  out += b64_encode(salt_view);
  out += '$';
  out += b64_encode(std::string_view(reinterpret_cast<const char*>(hash), sizeof hash));
  OPENSSL_cleanse(hash, sizeof hash);
  return out;
}

bool verify_password(std::string_view password, std::string_view encoded, bool* legacy_out) {
  if (legacy_out) *legacy_out = false;
  Scrypt s;
  if (parse_scrypt(encoded, s)) {
    unsigned char computed[kMaxHash];
    bool ok = derive(password, s.salt, s.ln, s.r, s.p, computed, s.hash.size()) &&
              CRYPTO_memcmp(computed, s.hash.data(), s.hash.size()) == 0;
    OPENSSL_cleanse(computed, sizeof computed);
    return ok;
  }
  unsigned char expected[SHA256_DIGEST_LENGTH], computed[SHA256_DIGEST_LENGTH];
  size_t len = 0;
  if (!parse_legacy(encoded, expected, len)) return false;
  if (legacy_out) *legacy_out = true;
  const auto* pw = reinterpret_cast<const unsigned char*>(password.data());
  if (len == SHA256_DIGEST_LENGTH) SHA256(pw, password.size(), computed);
  else SHA1(pw, password.size(), computed);
  return CRYPTO_memcmp(computed, expected, len) == 0;
}

bool is_password_hash(std::string_view encoded, bool* legacy_out) {
  if (legacy_out) *legacy_out = false;
  Scrypt s;
  if (parse_scrypt(encoded, s)) return true;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  size_t len = 0;
  if (!parse_legacy(encoded, digest, len)) return false;
  if (legacy_out) *legacy_out = true;
  return true;
}

}  // namespace postern::filters
