#pragma once
// JWS algorithms (RFC 7518 §3, RFC 8037 §3.1) that Postern verifies and signs.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

namespace postern::jose {

// `none` is deliberately not an Alg: an unsecured JWS can never be represented, so no
// configuration or code path can accept one.
enum class Alg : uint8_t {
  kRS256,  // RSASSA-PKCS1-v1_5 with SHA-256 (RSA key >= 2048 bits)
  kRS384,
  kRS512,
  kPS256,  // RSASSA-PSS, MGF1 with the same hash, salt length = hash length
  kPS384,
  kPS512,
  kES256,  // ECDSA P-256 / SHA-256, signature is raw R||S (64 bytes)
  kES384,  // ECDSA P-384 / SHA-384 (96 bytes)
  kES512,  // ECDSA P-521 / SHA-512 (132 bytes)
  kEdDSA,  // Ed25519 (64-byte signature); Ed448 is not supported
  kHS256,  // HMAC SHA-256, secret >= 32 bytes
  kHS384,  // HMAC SHA-384, secret >= 48 bytes
  kHS512,  // HMAC SHA-512, secret >= 64 bytes
};
inline constexpr int kAlgCount = 13;

// The registered JOSE name ("RS256", ...).
std::string_view alg_name(Alg alg);
// Exact, case-sensitive match of a registered name; "none" and unknown names give nullopt.
std::optional<Alg> alg_from_name(std::string_view name);

inline bool is_hmac(Alg a) { return a >= Alg::kHS256; }

// A small set of algorithms: a per-issuer allow-list.
class AlgSet {
 public:
  constexpr AlgSet() = default;
  constexpr AlgSet(std::initializer_list<Alg> algs) {
    for (Alg a : algs) insert(a);
  }
  static constexpr AlgSet all() {
    AlgSet s;
    s.bits_ = (1u << kAlgCount) - 1;
    return s;
  }
  constexpr void insert(Alg a) { bits_ |= 1u << static_cast<unsigned>(a); }
  constexpr bool contains(Alg a) const { return bits_ & (1u << static_cast<unsigned>(a)); }
  constexpr bool empty() const { return bits_ == 0; }

 private:
  uint32_t bits_ = 0;
};

}  // namespace postern::jose
