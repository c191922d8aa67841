#pragma once
// The authentication filter of one route. It looks for the credentials the route accepts,
// in WSO2's order — OAuth2 bearer token, HTTP Basic, API key — authenticates the first one
// present (a present but bad credential is refused, never skipped), then checks what the
// identity may do here: scopes, the WSO2 subscription or allowedAPIs for this API, and
// sandbox routing.
#include <memory>
#include <string>

#include "config/snapshot.h"
#include "filters/auth/introspector.h"
#include "filters/auth/jwt_authenticator.h"
#include "filters/auth/password_checker.h"
#include "filters/auth/static_credentials.h"
#include "filters/filter.h"
#include "filters/services.h"

namespace postern::filters {

class AuthFilter final : public Filter {
 public:
  AuthFilter(const FilterServices& services, std::shared_ptr<const config::RouteSecurity> security,
             const config::Api& api, bool has_sandbox);
  // Every route that is not open (security disabled) gets one.
  static std::shared_ptr<const Filter> for_route(const FilterServices& services, const config::Route& route);

  std::string_view name() const override { return "auth"; }
  FilterStatus on_request(RequestContext& ctx) const override;
  // After a key-manager call or a password check.
  FilterStatus on_resume(RequestContext& ctx) const override;

 private:
  struct Credentials;  // what the request presented
  Credentials find_credentials(const RequestContext& ctx) const;
  std::string_view client_certificate(RequestContext& ctx) const;
  FilterStatus authenticate_jwt(RequestContext& ctx, std::string_view token, bool api_key) const;
  FilterStatus introspect(RequestContext& ctx, std::string_view token) const;
  FilterStatus check_basic(RequestContext& ctx, std::string_view value) const;
  FilterStatus check_static_key(RequestContext& ctx, std::string_view key) const;
  // What every authenticated caller is checked for here: scopes, API-key API limits,
  // subscriptions, sandbox.
  FilterStatus authorize(RequestContext& ctx, std::shared_ptr<const Identity> identity,
                         const config::StaticApiKey* static_key) const;

  std::shared_ptr<const JwtAuthenticator> jwt_;
  std::shared_ptr<const StaticCredentials> credentials_;
  std::shared_ptr<const net::ClientCertVerifier> client_cert_header_;
  std::string client_cert_header_name_;
  PasswordChecker* password_checker_;
  Slot<Introspector> introspector_;  // valid when a key manager is configured
  std::shared_ptr<const config::RouteSecurity> security_;
  std::string api_name_;
  std::string api_version_;
  bool remove_credential_;
  bool has_sandbox_;
  std::string challenge_missing_;  // WWW-Authenticate lines for the schemes the route accepts
};

}  // namespace postern::filters
