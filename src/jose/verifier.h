#pragma once
// JWS signature verification with OpenSSL EVP.
#include <string_view>
#include <vector>

#include "jose/alg.h"
#include "jose/jwt.h"
#include "jose/jwt_error.h"
#include "jose/key.h"
#include "jose/key_set.h"

namespace postern::jose {

// True only when key.can_verify(alg) and `signature` is a valid `alg` signature of
// `signing_input`:
//  - RS*: RSASSA-PKCS1-v1_5; PS*: RSASSA-PSS, MGF1 with the same hash, salt = hash length;
//    the signature must be exactly the modulus size;
//  - ES*: JOSE raw R||S of exactly twice the field size (64/96/132 bytes), converted to
//    DER for OpenSSL; any other length is refused;
//  - EdDSA: Ed25519, 64 bytes;
//  - HS*: HMAC compared in constant time (CRYPTO_memcmp), full length only.
bool verify_signature(Alg alg, const Key& key, std::string_view signing_input, std::string_view signature);

// verify_signature(jwt.header.alg, key, jwt.signing_input, jwt.signature).
bool verify(const DecodedJwt& jwt, const Key& key);

// The whole key-selection step for one issuer: alg_not_allowed if the header alg is not
// in `allowed`; otherwise tries KeySet::candidates() in order and returns kNone on the
// first valid signature; unknown_kid when no key matches the kid, key_alg_mismatch when
// keys match but none can verify the alg, bad_signature otherwise. Claims are not
// checked here (see validate_claims).
JwtError verify_with_keys(const DecodedJwt& jwt, const KeySet& keys, AlgSet allowed);

}  // namespace postern::jose
