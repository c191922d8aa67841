#pragma once
// Hashes and random values for the key manager's secrets.
//
// Client secrets and users' passwords are stored as scrypt hashes in the same format as the
// gateway's Basic-auth users (filters/auth/password_hash.h), so one `postern hash-password`
// output works in both places:
//
//   $scrypt$ln=15,r=8,p=1$<salt: 16 bytes, base64>$<hash: 32 bytes, base64>
//
// N = 2^15, r = 8, p = 1: 32 MiB and ~95 ms of one core per hash or verification on the
// 2-vCPU development VM (ln=14: ~40 ms, ln=13: ~20 ms). That is the cost an offline attacker
// pays per guess, and also what every secret check costs the token endpoint: its callers
// should remember successful checks rather than verify on every request.
#include <cstddef>
#include <string>
#include <string_view>

namespace postern::keymanager {

// The encoded scrypt hash of `secret` with a fresh random salt. Throws std::runtime_error
// when OpenSSL fails (no randomness, no memory): never returns an empty hash, which a
// Client would read as "no secret".
std::string hash_secret(std::string_view secret);

// True when `secret` matches `encoded` (a $scrypt$ hash, compared in constant time). False
// for anything else, malformed input and the gateway's legacy unsalted formats included.
bool verify_secret(std::string_view secret, std::string_view encoded);

// `bytes` random bytes (RAND_bytes) as unpadded base64url: client ids, client secrets,
// refresh tokens, application ids. Throws std::runtime_error when OpenSSL has no randomness.
std::string random_token(size_t bytes);

// SHA-256 of `data` as 64 lowercase hex characters (how refresh tokens are stored).
std::string sha256_hex(std::string_view data);

}  // namespace postern::keymanager
