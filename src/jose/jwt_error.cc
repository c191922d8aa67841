#include "jose/jwt_error.h"

namespace postern::jose {

std::string_view jwt_error_reason(JwtError e) {
  switch (e) {
    case JwtError::kNone: return "ok";
    case JwtError::kMalformed: return "malformed";
    case JwtError::kTooLarge: return "too_large";
    case JwtError::kDuplicateMember: return "duplicate_member";
    case JwtError::kAlgNone: return "alg_none";
    case JwtError::kUnsupportedAlg: return "unsupported_alg";
    case JwtError::kAlgNotAllowed: return "alg_not_allowed";
    case JwtError::kCritUnsupported: return "crit_unsupported";
    case JwtError::kUnknownKid: return "unknown_kid";
    case JwtError::kKeyAlgMismatch: return "key_alg_mismatch";
    case JwtError::kBadSignature: return "bad_signature";
    case JwtError::kExpired: return "expired";
    case JwtError::kNotYetValid: return "not_yet_valid";
    case JwtError::kIatInFuture: return "iat_in_future";
    case JwtError::kMissingExp: return "missing_exp";
    case JwtError::kBadIssuer: return "bad_issuer";
    case JwtError::kBadAudience: return "bad_audience";
    case JwtError::kLifetimeTooLong: return "lifetime_too_long";
  }
  return "unknown";
}

}  // namespace postern::jose
