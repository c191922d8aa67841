#pragma once
// OAuth 2.0 error responses (RFC 6749 §5.2, RFC 7009 §2.2.1): the error codes, their HTTP
// status, and the no-store headers every token endpoint response carries.
#include <string_view>

#include "keymanager/km_http.h"

namespace postern::keymanager {

enum class OAuthError {
  kInvalidRequest,        // 400: missing/repeated/malformed parameter, several auth methods
  kInvalidClient,         // 401 after HTTP Basic, else 400: client authentication failed
  kInvalidGrant,          // 400: bad/expired/revoked/reused grant or refresh token, bad user
  kUnauthorizedClient,    // 400: this client may not use this grant type
  kUnsupportedGrantType,  // 400
  kInvalidScope,          // 400: a scope the client's APIs do not declare
  kSlowDown,              // 429: too many failed authentications (not in RFC 6749; documented)
};

std::string_view error_code(OAuthError e);

// The JSON error response. An invalid_client answer to a client that tried HTTP Basic
// carries `WWW-Authenticate: Basic` (RFC 6749 §5.2).
KmResponse oauth_error(OAuthError e, std::string_view description, bool basic_challenge = false);

// Cache-Control: no-store and Pragma: no-cache (RFC 6749 §5.1), added to `r`.
void add_no_store(KmResponse& r);

}  // namespace postern::keymanager
