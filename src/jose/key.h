#pragma once
// A verification (and optionally signing) key: RSA, EC P-256/P-384/P-521, Ed25519, or an
// HMAC secret. Parsed once into an OpenSSL EVP_PKEY; immutable and cheap to copy (copies
// share the parsed key), so key sets can be shared by snapshots and workers.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "jose/alg.h"

namespace postern::jose {

enum class KeyType : uint8_t {
  kNone,  // an empty Key (default-constructed): verifies and signs nothing
  kRsa,
  kEc,
  kOkp,  // Ed25519
  kOct,  // HMAC secret
};

enum class Curve : uint8_t { kNone, kP256, kP384, kP521, kEd25519 };

class Key {
 public:
  Key() = default;

  // An X.509 certificate, a SubjectPublicKeyInfo/PKCS#1 public key, or an unencrypted
  // private key (PKCS#8 or traditional) in PEM; the first PEM block is used. Only RSA,
  // EC on P-256/P-384/P-521 and Ed25519 keys are accepted. A private key can also sign.
  // `kid` is attached as given (PEM carries none).
  static Status from_pem(std::string_view pem, Key& out, std::string_view kid = {});

  // One JWK (RFC 7517/7518/8037) as JSON text: kty RSA (n, e [, d, p, q, dp, dq, qi]),
  // EC (crv, x, y [, d]; coordinates exactly the field size), OKP (crv Ed25519, x [, d]) or
  // oct (k). Refused: duplicate members, `use` other than "sig", an unknown `alg` or one
  // that does not fit the key type, bad base64url, points not on the curve.
  static Status from_jwk(std::string_view json, Key& out);

  // An HMAC secret (raw bytes). An HMAC key is only ever made here or from an "oct" JWK,
  // never from a public key, which is what makes the HS256-with-the-RSA-public-key attack
  // impossible.
  static Status from_secret(std::string_view secret, Key& out, std::string_view kid = {});

  // True when a signature made with `alg` can be checked with this key:
  //  - RSA keys: RS256/384/512 and PS256/384/512, only if the modulus is >= 2048 bits;
  //  - EC keys: only the ES alg of their curve (P-256 ES256, P-384 ES384, P-521 ES512);
  //  - Ed25519 keys: only EdDSA;
  //  - oct keys: only HS256/384/512, with a secret at least the hash size (32/48/64 bytes,
  //    RFC 7518 §3.2);
  //  - and, when the key declares an `alg` (JWK), only that alg.
  bool can_verify(Alg alg) const;
  // can_verify(alg) and the key holds private material (or is a secret).
  bool can_sign(Alg alg) const;

  bool empty() const { return !impl_; }
  KeyType type() const;
  Curve curve() const;
  int bits() const;  // RSA modulus / EC field bits; secret length * 8 for oct
  bool has_private() const;
  const std::string& kid() const;  // empty when none
  std::optional<Alg> alg() const;  // the JWK `alg`, when given

  // This key's public half as a JWK JSON object (kty, kid, use "sig", alg when known, and
  // n/e, crv/x/y or crv/x) for publishing the gateway's signing key in a JWKS. Secrets are
  // never exported: nullopt for oct (and for an empty Key).
  std::optional<std::string> to_public_jwk() const;

  struct Impl;

 private:
  friend struct KeyAccess;
  std::shared_ptr<const Impl> impl_;
};

// The signature algorithm a private key signs with by default: RS256 for RSA, ES256/384/512
// by curve, EdDSA for Ed25519/Ed448; none for HMAC secrets (the caller must choose).
std::optional<Alg> default_signing_alg(const Key& key);

// The DER SubjectPublicKeyInfo of an asymmetric key's public half (a stable identity for
// the key: signed bundles name their signer by its SHA-256). nullopt for oct and empty keys.
std::optional<std::string> public_key_der(const Key& key);

}  // namespace postern::jose
