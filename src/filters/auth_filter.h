#pragma once
// The authentication filter of one route. It looks for the credentials the route accepts,
// in WSO2's order — OAuth2 bearer token, HTTP Basic, API key — authenticates the first one
// present (a present but bad credential is refused, never skipped), then checks what the
// identity may do here: scopes, the WSO2 subscription or allowedAPIs for this API, and
// sandbox routing.
#include <memory>
#include <string>

#include "config/snapshot.h"
#include "filters/filter.h"
#include "filters/jwt_authenticator.h"
#include "filters/static_credentials.h"

namespace postern::filters {

class AuthFilter final : public RequestFilter {
 public:
  AuthFilter(std::shared_ptr<const JwtAuthenticator> jwt, std::shared_ptr<const StaticCredentials> credentials,
             std::shared_ptr<const config::RouteSecurity> security, const config::Api& api, bool remove_credential,
             bool has_sandbox, bool key_manager);
  Decision on_request(RequestContext& ctx, Rejection& reject) const override;
  Decision on_identity(RequestContext& ctx, std::shared_ptr<const Identity> identity,
                       Rejection& reject) const override;
  Decision on_password_checked(RequestContext& ctx, const PasswordCheck& check, bool matched,
                               Rejection& reject) const override;

 private:
  // What every authenticated caller is checked for here: scopes, API-key API limits,
  // subscriptions, sandbox.
  Decision authorize(RequestContext& ctx, std::shared_ptr<const Identity> identity,
                     const config::StaticApiKey* static_key, Rejection& reject) const;
  bool api_listed(const std::vector<Identity::Subscription>& list, const Identity::Subscription** found) const;

  std::shared_ptr<const JwtAuthenticator> jwt_;
  std::shared_ptr<const StaticCredentials> credentials_;
  std::shared_ptr<const config::RouteSecurity> security_;
  std::string api_name_;
  std::string api_version_;
  bool remove_credential_;
  bool has_sandbox_;
  bool key_manager_;  // opaque (non-JWT) bearer tokens go to the key manager
  std::string challenge_missing_;  // WWW-Authenticate lines for the schemes the route accepts
};

}  // namespace postern::filters
