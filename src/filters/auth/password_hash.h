#pragma once
// Salted, deliberately slow password hashes for the HTTP Basic users in postern.yaml
// (`postern hash-password` prints one). Plaintext passwords are never stored in config.
//
// Format (the passlib / Python `passlib.hash.scrypt` layout):
//
//   $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>
//
//   e.g. $scrypt$ln=15,r=8,p=1$yixrKbETJGYeEJJzidXpag$TuZiwYTpXtj5GEMqHXUojuno1HQrfnUnwJekgwzRduA
//        (password "example"; 16-byte salt = 22 chars, 32-byte hash = 43 chars)
//
//   - ln, r, p: decimal, no sign, no leading zeros, in exactly this order.
//   - salt, hash: standard base64 (RFC 4648 §4, alphabet A-Z a-z 0-9 + /) without '='
//     padding, canonical (unused trailing bits zero).
//   - hash = scrypt(password, salt, N = 2^ln, r, p), RFC 7914, via OpenSSL EVP_PBE_scrypt.
//
// hash_password() writes ln=13, r=8, p=1, a fresh 16-byte RAND_bytes salt and a 32-byte
// hash. Cost per hash and per verify: 128*r*N = 8 MiB of memory and ~50 ms of one core on
// a 2-vCPU VM (ln=15 measured ~0.2 s there). Callers on the request path must not run it
// for every request: cache successful verifications, and bound verifications per second.
//
// verify_password() accepts, so that a config cannot make one verification take forever
// or exhaust memory: ln 10..20, r 1..32, p 1..16, and in addition memory 128*r*N <= 256 MiB
// and work p*r*N <= 2^22 (64x the default); salt 8..64 bytes, hash 16..64 bytes.
//
// Legacy (WSO2 API Microgateway 3.x `b7a.users.<name>.password`), unsalted and fast, so
// verify only, and reported through `legacy_out` so the gateway can log a warning:
//   @sha256:{<64 hex>}   SHA-256 of the password
//   <40 hex>             SHA-1 of the password
// Hex is case-insensitive.
#include <string>
#include <string_view>

namespace postern::filters {

// Returns the encoded scrypt hash of `password` (format above), or "" if OpenSSL fails
// (no randomness, allocation failure).
std::string hash_password(std::string_view password);

// Same with an explicit cost ln (N = 2^ln), 10..20; r=8, p=1. For tests (small ln) and
// operators who want a higher cost. Returns "" when ln is out of range.
std::string hash_password(std::string_view password, unsigned ln);

// True if `password` matches `encoded`. False on any malformed or out-of-bounds encoding.
// Constant-time comparison of the derived key (CRYPTO_memcmp). If `legacy_out` is non-null
// it is set to whether `encoded` is one of the legacy unsalted formats (whatever the result).
bool verify_password(std::string_view password, std::string_view encoded, bool* legacy_out = nullptr);

// Format check only (no hashing): true if `encoded` is a well-formed scrypt hash within the
// bounds above, or a legacy hash (then *legacy_out = true). Config validation uses it to
// reject plaintext passwords.
bool is_password_hash(std::string_view encoded, bool* legacy_out = nullptr);

}  // namespace postern::filters
