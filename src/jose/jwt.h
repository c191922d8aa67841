#pragma once
// Decoding of a JWS-compact JWT (RFC 7515 §7.1, RFC 7519) before any signature check.
// Decoding trusts nothing: everything here is attacker-controlled until verify() passes.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "jose/alg.h"
#include "jose/claims.h"
#include "jose/jwt_error.h"

namespace postern::jose {

struct DecodeLimits {
  size_t max_token_bytes = 16 * 1024;  // larger tokens: too_large, before any parsing
  size_t max_kid_bytes = 256;          // a longer kid: malformed
};

struct JwtHeader {
  Alg alg = Alg::kRS256;
  // The kid exactly as sent: an opaque string, never a path, URL or query fragment.
  std::optional<std::string> kid;
  std::optional<std::string> typ;
  // jku, x5u, jwk, x5c are ignored on purpose: keys come only from configuration, never
  // from the token itself, so they are neither fetched nor trusted nor kept.
};

struct DecodedJwt {
  JwtHeader header;
  JwtClaims claims;  // owns its data (including the payload JSON)
  // "<header>.<payload>" as sent: a view into the token passed to decode(), valid only
  // while that buffer lives. Everything else here is owned.
  std::string_view signing_input;
  std::string signature;  // raw signature bytes (base64url-decoded)
};

// Decodes `token` into `out`. Checks, in order: size (too_large); exactly three
// non-empty '.'-separated segments, strict base64url (malformed); header is a JSON object
// with no duplicate member at any level (malformed / duplicate_member); `alg` present and
// a string (unsupported_alg), not "none" in any case (alg_none), a known Alg
// (unsupported_alg); no `crit` (crit_unsupported); kid/typ strings, kid within
// max_kid_bytes (malformed); payload a JSON object without duplicates whose registered
// claims have the right types (malformed / duplicate_member). Nesting beyond 32 levels is
// malformed. On error `out` is unspecified.
JwtError decode(std::string_view token, const DecodeLimits& limits, DecodedJwt& out);
inline JwtError decode(std::string_view token, DecodedJwt& out) { return decode(token, DecodeLimits{}, out); }
// signing_input would dangle: keep the token alive in a variable.
JwtError decode(std::string&& token, const DecodeLimits& limits, DecodedJwt& out) = delete;
JwtError decode(std::string&& token, DecodedJwt& out) = delete;

}  // namespace postern::jose
