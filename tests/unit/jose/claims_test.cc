// WSO2 claim extraction, custom claim lookup and claim validation.
#include <gtest/gtest.h>

#include "jose/claims.h"
#include "jose/jwt.h"
#include "test_util.h"

namespace postern::jose {
namespace {

using test::make_token;

// Shaped like a WSO2 APIM 3.x self-contained access token.
constexpr std::string_view kWso2Payload = R"({
  "sub":"admin@carbon.super",
  "aut":"APPLICATION",
  "aud":["XgO39NSo5pXhAPDRn4MrvrZ5KFca","https://gw.example"],
  "nbf":1600000000,
  "azp":"XgO39NSo5pXhAPDRn4MrvrZ5KFca",
  "scope":"am_application_scope default read:pets",
  "iss":"https://localhost:9443/oauth2/token",
  "keytype":"SANDBOX",
  "consumerKey":"XgO39NSo5pXhAPDRn4MrvrZ5KFca",
  "exp":1893456000,
  "iat":1600000000,
  "jti":"4f8a6e9e-7d2c-4b1e-9a6f-2b1d5c3e8f90",
  "application":{"owner":"admin","tier":"Unlimited","name":"DefaultApplication","id":2,"uuid":"a-b-c"},
  "tierInfo":{"Gold":{"tierQuotaType":"requestCount","stopOnQuotaReach":true,"spikeArrestLimit":0,"spikeArrestUnit":null}},
  "subscribedAPIs":[
    {"subscriberTenantDomain":"carbon.super","name":"PizzaShackAPI","context":"/pizzashack/1.0.0","publisher":"admin","version":"1.0.0","subscriptionTier":"Gold"},
    {"name":"Pets","context":"/pets","publisher":"bob","version":"*","subscriptionTier":"Unlimited"}],
  "realm":{"signing_tenant":"carbon.super"},
  "custom_num":42.5,
  "custom_null":null
})";

DecodedJwt decode_ok(std::string_view payload) {
  DecodedJwt jwt;
  std::string token = make_token(R"({"alg":"RS256","typ":"JWT","kid":"MDJlNjIx_RS256"})", payload, "sig");
  EXPECT_EQ(decode(token, jwt), JwtError::kNone) << payload;
  return jwt;
}

TEST(Claims, Wso2AccessToken) {
  DecodedJwt jwt = decode_ok(kWso2Payload);
  EXPECT_EQ(jwt.header.kid, "MDJlNjIx_RS256");
  EXPECT_EQ(jwt.header.typ, "JWT");
  const JwtClaims& c = jwt.claims;
  EXPECT_EQ(c.iss, "https://localhost:9443/oauth2/token");
  EXPECT_EQ(c.sub, "admin@carbon.super");
  EXPECT_EQ(c.jti, "4f8a6e9e-7d2c-4b1e-9a6f-2b1d5c3e8f90");
  EXPECT_EQ(c.aud, (std::vector<std::string>{"XgO39NSo5pXhAPDRn4MrvrZ5KFca", "https://gw.example"}));
  EXPECT_EQ(c.exp, 1893456000);
  EXPECT_EQ(c.nbf, 1600000000);
  EXPECT_EQ(c.iat, 1600000000);
  EXPECT_EQ(c.scopes, (std::vector<std::string>{"am_application_scope", "default", "read:pets"}));
  EXPECT_EQ(c.keytype, "SANDBOX");
  EXPECT_EQ(c.consumer_key, "XgO39NSo5pXhAPDRn4MrvrZ5KFca");
  EXPECT_EQ(c.azp, "XgO39NSo5pXhAPDRn4MrvrZ5KFca");
  EXPECT_FALSE(c.client_id.has_value());
  ASSERT_TRUE(c.application.has_value());
  EXPECT_EQ(c.application->id, "2");
  EXPECT_EQ(c.application->name, "DefaultApplication");
  EXPECT_EQ(c.application->tier, "Unlimited");
  EXPECT_EQ(c.application->owner, "admin");
  ASSERT_TRUE(c.has_subscribed_apis);
  ASSERT_EQ(c.subscribed_apis.size(), 2u);
  EXPECT_EQ(c.subscribed_apis[0].name, "PizzaShackAPI");
  EXPECT_EQ(c.subscribed_apis[0].context, "/pizzashack/1.0.0");
  EXPECT_EQ(c.subscribed_apis[0].version, "1.0.0");
  EXPECT_EQ(c.subscribed_apis[0].subscription_tier, "Gold");
  EXPECT_EQ(c.subscribed_apis[0].publisher, "admin");
  EXPECT_EQ(c.subscribed_apis[1].version, "*");
  EXPECT_EQ(
      c.tier_info,
      R"({"Gold":{"tierQuotaType":"requestCount","stopOnQuotaReach":true,"spikeArrestLimit":0,"spikeArrestUnit":null}})");
  EXPECT_FALSE(c.has_allowed_apis);
  EXPECT_EQ(c.payload_json, kWso2Payload);
}

TEST(Claims, CustomClaimLookup) {
  JwtClaims c = decode_ok(kWso2Payload).claims;
  EXPECT_EQ(c.claim_as_string("aut"), "APPLICATION");
  EXPECT_EQ(c.claim_as_string("iat"), "1600000000");
  EXPECT_EQ(c.claim_as_string("custom_num"), "42.5");
  EXPECT_EQ(c.claim_as_string("realm"), R"({"signing_tenant":"carbon.super"})");
  EXPECT_EQ(c.claim_as_string("custom_null"), std::nullopt);
  EXPECT_EQ(c.claim_as_string("missing"), std::nullopt);
  EXPECT_EQ(c.claim_as_string("Aut"), std::nullopt);  // names are case-sensitive
}

TEST(Claims, ApiKeyToken) {
  // WSO2 API-key JWTs list allowed APIs as objects; older ones as bare names.
  JwtClaims c = decode_ok(R"({"sub":"admin","exp":4102444800,"keytype":"PRODUCTION",
    "allowedAPIs":[{"name":"PizzaShackAPI","context":"/pizzashack/1.0.0","publisher":"admin","version":"1.0.0","uuid":"x"},"Pets"],
    "application":{"id":"7","name":"App","tier":"Unlimited","owner":"bob"}})")
                    .claims;
  ASSERT_TRUE(c.has_allowed_apis);
  ASSERT_EQ(c.allowed_apis.size(), 2u);
  EXPECT_EQ(c.allowed_apis[0].name, "PizzaShackAPI");
  EXPECT_EQ(c.allowed_apis[0].version, "1.0.0");
  EXPECT_EQ(c.allowed_apis[1].name, "Pets");
  EXPECT_EQ(c.allowed_apis[1].version, "");
  EXPECT_EQ(c.application->id, "7");
  EXPECT_EQ(c.keytype, "PRODUCTION");
}

TEST(Claims, ScopeForms) {
  EXPECT_EQ(decode_ok(R"({"scp":["a","b"],"scope":"b c"})").claims.scopes, (std::vector<std::string>{"b", "c", "a"}));
  EXPECT_EQ(decode_ok(R"({"scp":"x  y"})").claims.scopes, (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(decode_ok(R"({"scope":""})").claims.scopes.empty());
  EXPECT_EQ(decode_ok(R"({"aud":"one","client_id":"c1"})").claims.aud, std::vector<std::string>{"one"});
  EXPECT_EQ(decode_ok(R"({"client_id":"c1"})").claims.client_id, "c1");
  EXPECT_EQ(decode_ok(R"({"exp":1700000000.75})").claims.exp, 1700000000);
  EXPECT_TRUE(decode_ok(R"({"subscribedAPIs":[]})").claims.has_subscribed_apis);
}

TEST(Claims, Validation) {
  JwtClaims c;
  c.iss = "https://idp";
  c.aud = {"a1", "a2"};
  c.exp = 2000;
  c.nbf = 1000;
  c.iat = 1000;
  ClaimPolicy p;
  p.issuer = "https://idp";
  p.leeway_seconds = 10;
  EXPECT_EQ(validate_claims(c, p, 1500), JwtError::kNone);
  // exp boundary with leeway: valid until now - leeway >= exp.
  EXPECT_EQ(validate_claims(c, p, 2009), JwtError::kNone);
  EXPECT_EQ(validate_claims(c, p, 2010), JwtError::kExpired);
  // nbf / iat with leeway.
  EXPECT_EQ(validate_claims(c, p, 990), JwtError::kNone);
  EXPECT_EQ(validate_claims(c, p, 989), JwtError::kNotYetValid);
  JwtClaims future = c;
  future.nbf.reset();
  EXPECT_EQ(validate_claims(future, p, 989), JwtError::kIatInFuture);
  // Issuer: exact, case-sensitive, required when configured.
  p.issuer = "https://IDP";
  EXPECT_EQ(validate_claims(c, p, 1500), JwtError::kBadIssuer);
  p.issuer = "https://idp/";
  EXPECT_EQ(validate_claims(c, p, 1500), JwtError::kBadIssuer);
  p.issuer = "https://idp";
  JwtClaims no_iss = c;
  no_iss.iss.reset();
  EXPECT_EQ(validate_claims(no_iss, p, 1500), JwtError::kBadIssuer);
  // Audience: any one of the configured ones.
  p.audiences = {"zz", "a2"};
  EXPECT_EQ(validate_claims(c, p, 1500), JwtError::kNone);
  p.audiences = {"zz"};
  EXPECT_EQ(validate_claims(c, p, 1500), JwtError::kBadAudience);
  JwtClaims no_aud = c;
  no_aud.aud.clear();
  EXPECT_EQ(validate_claims(no_aud, p, 1500), JwtError::kBadAudience);
  p.audiences.clear();
  // exp required by default.
  JwtClaims no_exp = c;
  no_exp.exp.reset();
  EXPECT_EQ(validate_claims(no_exp, p, 1500), JwtError::kMissingExp);
  p.require_exp = false;
  EXPECT_EQ(validate_claims(no_exp, p, 1500), JwtError::kNone);
  // Max lifetime.
  p.max_lifetime_seconds = 999;
  EXPECT_EQ(validate_claims(c, p, 1500), JwtError::kLifetimeTooLong);
  p.max_lifetime_seconds = 1000;
  EXPECT_EQ(validate_claims(c, p, 1500), JwtError::kNone);
  // Absurd leeway is clamped, not overflowed.
  p.leeway_seconds = INT64_MAX;
  EXPECT_EQ(validate_claims(c, p, INT64_C(1) << 40), JwtError::kExpired);
}

TEST(Claims, ErrorReasonsAreStable) {
  EXPECT_EQ(jwt_error_reason(JwtError::kNone), "ok");
  EXPECT_EQ(jwt_error_reason(JwtError::kMalformed), "malformed");
  EXPECT_EQ(jwt_error_reason(JwtError::kUnsupportedAlg), "unsupported_alg");
  EXPECT_EQ(jwt_error_reason(JwtError::kAlgNotAllowed), "alg_not_allowed");
  EXPECT_EQ(jwt_error_reason(JwtError::kUnknownKid), "unknown_kid");
  EXPECT_EQ(jwt_error_reason(JwtError::kBadSignature), "bad_signature");
  EXPECT_EQ(jwt_error_reason(JwtError::kExpired), "expired");
  EXPECT_EQ(jwt_error_reason(JwtError::kNotYetValid), "not_yet_valid");
  EXPECT_EQ(jwt_error_reason(JwtError::kMissingExp), "missing_exp");
  EXPECT_EQ(jwt_error_reason(JwtError::kBadIssuer), "bad_issuer");
  EXPECT_EQ(jwt_error_reason(JwtError::kBadAudience), "bad_audience");
  EXPECT_EQ(jwt_error_reason(JwtError::kCritUnsupported), "crit_unsupported");
  EXPECT_EQ(jwt_error_reason(JwtError::kTooLarge), "too_large");
  EXPECT_EQ(jwt_error_reason(JwtError::kDuplicateMember), "duplicate_member");
  EXPECT_EQ(jwt_error_reason(JwtError::kAlgNone), "alg_none");
}

}  // namespace
}  // namespace postern::jose
