#pragma once
// Why a token was refused. Each value has a short, stable reason string for the access
// log and analytics; never send it to the caller (an unknown kid must look exactly like a
// bad signature from outside).
#include <cstdint>
#include <string_view>

namespace postern::jose {

enum class JwtError : uint8_t {
  kNone,             // "ok": no error
  kMalformed,        // "malformed": not 3 segments, bad base64url, not JSON objects, a
                     //   registered claim/header of the wrong type, empty signature...
  kTooLarge,         // "too_large": token longer than DecodeLimits::max_token_bytes
  kDuplicateMember,  // "duplicate_member": a JSON object repeats a member name
  kAlgNone,          // "alg_none": alg is "none" in any letter case (unsecured JWS)
  kUnsupportedAlg,   // "unsupported_alg": alg missing, not a string, or not an Alg name
  kAlgNotAllowed,    // "alg_not_allowed": a known alg outside the issuer's allow-list
  kCritUnsupported,  // "crit_unsupported": a "crit" header is present (no extension is
                     //   understood, so RFC 7515 §4.1.11 requires rejection)
  kUnknownKid,       // "unknown_kid": no configured key matches the token's kid
  kKeyAlgMismatch,   // "key_alg_mismatch": the matching key cannot verify this alg (e.g.
                     //   HS256 presented against an RSA key)
  kBadSignature,     // "bad_signature": the signature does not verify
  kExpired,          // "expired": now - leeway >= exp
  kNotYetValid,      // "not_yet_valid": now + leeway < nbf
  kIatInFuture,      // "iat_in_future": iat > now + leeway
  kMissingExp,       // "missing_exp": no exp while ClaimPolicy::require_exp
  kBadIssuer,        // "bad_issuer": iss missing or not the configured issuer
  kBadAudience,      // "bad_audience": no aud value is one of the configured audiences
  kLifetimeTooLong,  // "lifetime_too_long": exp - (iat or now) > ClaimPolicy::max_lifetime
};

std::string_view jwt_error_reason(JwtError e);

}  // namespace postern::jose
