#include "keymanager/oauth_error.h"

#include "keymanager/json_writer.h"

namespace postern::keymanager {

std::string_view error_code(OAuthError e) {
  switch (e) {
    case OAuthError::kInvalidRequest: return "invalid_request";
    case OAuthError::kInvalidClient: return "invalid_client";
    case OAuthError::kInvalidGrant: return "invalid_grant";
    case OAuthError::kUnauthorizedClient: return "unauthorized_client";
    case OAuthError::kUnsupportedGrantType: return "unsupported_grant_type";
    case OAuthError::kInvalidScope: return "invalid_scope";
    case OAuthError::kSlowDown: return "slow_down";
  }
  return "invalid_request";
}

void add_no_store(KmResponse& r) {
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("Pragma", "no-cache");
}

KmResponse oauth_error(OAuthError e, std::string_view description, bool basic_challenge) {
  KmResponse r;
  // RFC 6749 §5.2: 401 with a challenge when the client tried HTTP Basic; otherwise 400
  // (a 401 must carry a challenge, and there is none for credentials in the body).
  r.status = e == OAuthError::kSlowDown ? 429 : (e == OAuthError::kInvalidClient && basic_challenge) ? 401 : 400;
  r.body = JsonObject().add("error", error_code(e)).add("error_description", description).str();
  if (r.status == 401) r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"postern-keymanager\"");
  add_no_store(r);
  return r;
}

}  // namespace postern::keymanager
