#pragma once
// The claims of a JWT payload that Postern (and WSO2 tokens) use, and their validation.
// JwtClaims owns all its data: it can be cached after the token buffer is gone.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jose/jwt_error.h"

namespace postern::jose {

// WSO2 `application` claim (APIM <= 3.1 self-contained tokens).
struct JwtApplication {
  std::string id;  // a JSON number is kept as its decimal text
  std::string name;
  std::string tier;
  std::string owner;
};

// One WSO2 `subscribedAPIs` entry (also used in API-key tokens).
struct JwtSubscribedApi {
  std::string name;
  std::string context;
  std::string version;  // "*" means any version
  std::string subscription_tier;
  std::string publisher;
};

// One WSO2 API-key `allowedAPIs` entry: an object {name, version, ...} or a bare name.
struct JwtAllowedApi {
  std::string name;
  std::string version;  // empty when the entry was a bare string
};

struct JwtClaims {
  // Registered claims. A present claim of the wrong JSON type makes the token malformed.
  std::optional<std::string> iss;
  std::optional<std::string> sub;
  std::optional<std::string> jti;
  std::vector<std::string> aud;  // a string aud becomes one element
  // NumericDate seconds; fractions are truncated; outside [0, 2^53] is malformed.
  std::optional<int64_t> exp, nbf, iat;

  // Scopes from `scope` (space-separated string) and `scp` (array of strings, or a
  // space-separated string as Azure AD sends it), merged in order without duplicates.
  std::vector<std::string> scopes;

  // WSO2 claims.
  std::optional<std::string> keytype;       // "PRODUCTION" / "SANDBOX", as sent
  std::optional<std::string> consumer_key;  // `consumerKey`
  std::optional<std::string> azp;
  std::optional<std::string> client_id;
  std::optional<JwtApplication> application;
  std::vector<JwtSubscribedApi> subscribed_apis;
  bool has_subscribed_apis = false;  // the claim was present (possibly empty)
  std::vector<JwtAllowedApi> allowed_apis;
  bool has_allowed_apis = false;
  std::optional<std::string> tier_info;  // `tierInfo` as minified JSON text

  // The decoded payload JSON, verbatim.
  std::string payload_json;

  // A claim by name from the payload: a string as is, a number or boolean as its JSON
  // text, an object or array as minified JSON; nullopt when absent or null. Parses the
  // payload again (meant for configured custom claims on a cache miss, not a hot loop).
  std::optional<std::string> claim_as_string(std::string_view name) const;
  // A claim as a list of strings: a space-separated string, or an array of strings (other
  // elements are skipped); empty when absent or of another type. For per-issuer claim names.
  std::vector<std::string> claim_as_strings(std::string_view name) const;
};

struct ClaimPolicy {
  std::string issuer;                  // exact match required when non-empty
  std::vector<std::string> audiences;  // any one must be in `aud`; empty = not checked
  int64_t leeway_seconds = 5;          // clock skew allowed (WSO2 timestampSkew: 5000 ms)
  bool require_exp = true;
  std::optional<int64_t> max_lifetime_seconds;  // exp - (iat, or now if no iat) <= this
};

// Parses a JSON object of claims (an OAuth2 introspection response, RFC 7662, has the same
// members) with the same strictness as a JWT payload: no duplicate members, registered
// claims of the right types. `out.payload_json` keeps the text.
JwtError parse_claims_json(std::string_view json, JwtClaims& out);

// Checks in this order and returns the first failure: bad_issuer, bad_audience,
// missing_exp, expired, not_yet_valid, iat_in_future, lifetime_too_long.
// `now_unix_seconds` comes from the caller's Clock.
JwtError validate_claims(const JwtClaims& claims, const ClaimPolicy& policy, int64_t now_unix_seconds);

}  // namespace postern::jose
