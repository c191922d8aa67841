#pragma once
// Who is calling the token, introspection and revocation endpoints (RFC 6749 §2.3):
// HTTP Basic (client_secret_basic), client_id + client_secret in the body
// (client_secret_post), or a signed assertion (private_key_jwt, RFC 7523 §2.2 with the
// claims of OpenID Connect Core §9). Exactly one method per request.
#include <cstdint>
#include <optional>
#include <string>

#include "keymanager/form.h"
#include "keymanager/km_http.h"
#include "keymanager/oauth_error.h"
#include "keymanager/records.h"
#include "keymanager/store.h"
#include "keymanager/verified_secrets.h"

namespace postern::keymanager {

inline constexpr std::string_view kJwtBearerAssertion = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
// A client assertion may live at most this long (exp - now), bounding the replay cache.
inline constexpr int64_t kMaxAssertionLifetime = 600;

struct ClientAuthResult {
  std::optional<Client> client;  // set when authenticated
  std::string client_id;         // the id the caller claimed ("" when none), for limits and logs
  bool used_basic = false;
  OAuthError error = OAuthError::kInvalidClient;
  std::string why;  // for error_description and the failure metric's reason
};

// `audience`: the values an assertion's `aud` may carry (the endpoint URL and the issuer).
// `verified` spares the scrypt check for a secret that passed before.
ClientAuthResult authenticate_client(Store& store, VerifiedSecrets& verified, const KmRequest& req, const Form& form,
                                     const std::vector<std::string>& audience, int64_t now);

}  // namespace postern::keymanager
