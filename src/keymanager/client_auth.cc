#include "keymanager/client_auth.h"

#include <algorithm>

#include "core/base64.h"
#include "core/strings.h"
#include "jose/jwt.h"
#include "jose/key.h"
#include "jose/verifier.h"
#include "keymanager/secret_hash.h"

namespace postern::keymanager {

namespace {

ClientAuthResult failed(ClientAuthResult r, std::string why, OAuthError e = OAuthError::kInvalidClient) {
  r.client.reset();
  r.error = e;
  r.why = std::move(why);
  return r;
}

// "Basic base64(urlencode(id):urlencode(secret))" -> id, secret. False when malformed.
bool parse_basic(std::string_view header, std::string& id, std::string& secret) {
  if (header.size() < 6 || !iequals(header.substr(0, 6), "basic ")) return false;
  std::string decoded;
  std::string_view b64 = trim(header.substr(6));
  if (!base64_decode(b64, decoded)) return false;
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  auto i = form_decode(std::string_view(decoded).substr(0, colon));
  auto s = form_decode(std::string_view(decoded).substr(colon + 1));
  if (!i || !s) return false;
  id = std::move(*i);
  secret = std::move(*s);
  return true;
}

ClientAuthResult by_secret(Store& store, VerifiedSecrets& verified, ClientAuthResult r, std::string_view secret) {
  auto client = store.get_client(r.client_id);
  // Hash even for an unknown client, so the answer takes as long either way.
  static const std::string kDummy = hash_secret("postern-unknown-client");
  bool ok = false;
  if (client && !client->secret_hash.empty()) ok = verified.verify(r.client_id, client->secret_hash, secret);
  else (void)verify_secret(secret, kDummy);  // the same cost as a real check; never a match
  if (!client) return failed(std::move(r), "unknown client");
  if (!ok) return failed(std::move(r), "wrong client secret");
  r.client = std::move(client);
  return r;
}

ClientAuthResult by_assertion(Store& store, ClientAuthResult r, std::string_view assertion,
                              const std::vector<std::string>& audience, int64_t now) {
  jose::DecodedJwt jwt;
  if (jose::decode(assertion, jwt) != jose::JwtError::kNone) return failed(std::move(r), "malformed client assertion");
  const auto& c = jwt.claims;
  if (!c.iss || !c.sub || *c.iss != *c.sub)
    return failed(std::move(r), "client assertion: iss and sub must be the client id");
  if (!r.client_id.empty() && r.client_id != *c.sub)
    return failed(std::move(r), "client assertion is for another client");
  r.client_id = *c.sub;
  auto client = store.get_client(r.client_id);
  if (!client) return failed(std::move(r), "unknown client");
  jose::Key key;
  if (client->public_key_pem.empty() || !jose::Key::from_pem(client->public_key_pem, key))
    return failed(std::move(r), "client has no key registered for private_key_jwt");
  if (!jose::verify(jwt, key)) return failed(std::move(r), "client assertion: bad signature");
  bool aud_ok = std::any_of(c.aud.begin(), c.aud.end(), [&](const std::string& a) {
    return std::find(audience.begin(), audience.end(), a) != audience.end();
  });
  if (!aud_ok) return failed(std::move(r), "client assertion: aud must be the token endpoint URL");
  if (!c.exp || *c.exp + 5 < now) return failed(std::move(r), "client assertion expired (or has no exp)");
  if (*c.exp - now > kMaxAssertionLifetime)
    return failed(std::move(r), "client assertion lives longer than 10 minutes");
  if (!c.jti || c.jti->empty()) return failed(std::move(r), "client assertion has no jti");
  if (!store.remember_assertion(r.client_id, *c.jti, *c.exp + 5))
    return failed(std::move(r), "client assertion replayed (jti already used)");
  r.client = std::move(client);
  return r;
}

}  // namespace

ClientAuthResult authenticate_client(Store& store, VerifiedSecrets& verified, const KmRequest& req, const Form& form,
                                     const std::vector<std::string>& audience, int64_t now) {
  ClientAuthResult r;
  std::string_view authorization = req.header("authorization");
  const bool has_basic = !authorization.empty();
  const bool has_post = form.has("client_secret");
  const bool has_assertion = form.has("client_assertion") || form.has("client_assertion_type");
  if (int(has_basic) + int(has_post) + int(has_assertion) > 1)
    return failed(std::move(r), "use exactly one client authentication method", OAuthError::kInvalidRequest);
  r.client_id = std::string(form.get("client_id"));
  if (has_basic) {
    r.used_basic = true;
    std::string id, secret;
    if (!parse_basic(authorization, id, secret)) return failed(std::move(r), "malformed HTTP Basic credentials");
    if (!r.client_id.empty() && r.client_id != id)
      return failed(std::move(r), "client_id differs from the authenticated client", OAuthError::kInvalidRequest);
    r.client_id = std::move(id);
    return by_secret(store, verified, std::move(r), secret);
  }
  if (has_post) {
    if (r.client_id.empty())
      return failed(std::move(r), "client_secret without client_id", OAuthError::kInvalidRequest);
    return by_secret(store, verified, std::move(r), form.get("client_secret"));
  }
  if (has_assertion) {
    if (form.get("client_assertion_type") != kJwtBearerAssertion)
      return failed(std::move(r), "client_assertion_type must be " + std::string(kJwtBearerAssertion),
                    OAuthError::kInvalidRequest);
    return by_assertion(store, std::move(r), form.get("client_assertion"), audience, now);
  }
  return failed(std::move(r), "client authentication required (HTTP Basic, client_secret or private_key_jwt)");
}

}  // namespace postern::keymanager
