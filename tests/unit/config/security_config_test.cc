// Security configuration: issuers in postern.yaml and per-route requirements from OpenAPI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "project_fixture.h"

namespace postern::config::testing {
namespace {

using ::testing::ElementsAre;

class SecurityConfigTest : public ProjectTest {
 protected:
  void api(const std::string& extra_root, const std::string& paths) {
    write("apis/a.yaml",
          "openapi: 3.0.3\ninfo: {title: A, version: '1'}\nx-wso2-basePath: /a\n"
          "x-wso2-production-endpoints: {urls: ['http://127.0.0.1:8080']}\n" +
              extra_root + "paths:\n" + paths);
  }
  const RouteSecurity& sec(const LoadResult& r, std::string_view tmpl, std::string_view method = "GET") {
    for (const auto& route : r.snapshot->routes) {
      if (route.full_template == tmpl && route.method_text == method) return *route.security;
    }
    ADD_FAILURE() << "no route " << method << " " << tmpl;
    static RouteSecurity none;
    return none;
  }
};

TEST_F(SecurityConfigTest, SecureByDefault) {
  write("postern.yaml", kMinimalGateway);
  api("", "  /x: {get: {}}\n  /open: {get: {x-wso2-disable-security: true}}\n  /empty: {get: {security: []}}\n");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  EXPECT_TRUE(sec(r, "/a/x").oauth2);
  EXPECT_FALSE(sec(r, "/a/x").disabled);
  EXPECT_TRUE(sec(r, "/a/open").disabled);
  // An empty requirement list does not open a route: only the explicit extension does.
  EXPECT_TRUE(sec(r, "/a/empty").oauth2);
  EXPECT_FALSE(sec(r, "/a/empty").disabled);
}

TEST_F(SecurityConfigTest, SchemesScopesAndOverrides) {
  write("postern.yaml", kMinimalGateway);
  api("x-postern-auth-header: X-Auth\n"
      "security: [{oauth: [read]}]\n"
      "components:\n  securitySchemes:\n"
      "    oauth: {type: oauth2, flows: {}}\n"
      "    key: {type: apiKey, in: header, name: X-API-Key}\n"
      "    qkey: {type: apiKey, in: query, name: api_key}\n"
      "    basic: {type: http, scheme: basic}\n",
      "  /r: {get: {}}\n"
      "  /w: {post: {security: [{oauth: [write, admin]}, {key: []}]}}\n"
      "  /q: {get: {security: [{qkey: []}]}}\n"
      "  /b: {get: {security: [{basic: []}]}}\n"
      "  /app: {get: {x-wso2-application-security: {security-types: [basic_auth, api_key]}}}\n");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  EXPECT_THAT(sec(r, "/a/r").scopes, ElementsAre("read"));
  EXPECT_EQ(sec(r, "/a/r").auth_header, "x-auth");
  const auto& w = sec(r, "/a/w", "POST");
  EXPECT_TRUE(w.oauth2);
  EXPECT_THAT(w.scopes, ElementsAre("write", "admin"));
  ASSERT_EQ(w.api_keys.size(), 1u);
  EXPECT_EQ(w.api_keys[0].name, "x-api-key");
  EXPECT_FALSE(w.api_keys[0].in_query);
  const auto& q = sec(r, "/a/q");
  EXPECT_FALSE(q.oauth2);
  ASSERT_EQ(q.api_keys.size(), 1u);
  EXPECT_TRUE(q.api_keys[0].in_query);
  EXPECT_TRUE(sec(r, "/a/b").basic);
  const auto& app = sec(r, "/a/app");
  EXPECT_FALSE(app.oauth2);
  EXPECT_TRUE(app.basic);
  EXPECT_EQ(app.api_keys.size(), 1u);
}

TEST_F(SecurityConfigTest, Issuers) {
  write("certs/idp.pem", "not parsed here");
  write("postern.yaml", std::string(kMinimalGateway) +
                            "security:\n"
                            "  revoked_jtis: [j1]\n"
                            "  issuers:\n"
                            "    - {name: idp, issuer: 'https://idp', certificate: certs/idp.pem, audiences: [api],\n"
                            "       algorithms: [RS256, ES256], leeway: 5s, validate_subscription: true}\n");
  api("", "  /x: {get: {}}\n");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  const auto& sec = r.snapshot->gateway.security;
  ASSERT_EQ(sec.issuers.size(), 1u);
  EXPECT_EQ(sec.issuers[0].issuer, "https://idp");
  EXPECT_THAT(sec.issuers[0].algorithms, ElementsAre("RS256", "ES256"));
  EXPECT_EQ(sec.issuers[0].leeway.count(), 5000);
  EXPECT_TRUE(sec.issuers[0].validate_subscription);
  EXPECT_THAT(sec.revoked_jtis, ElementsAre("j1"));
}

TEST_F(SecurityConfigTest, IssuerErrors) {
  write("postern.yaml", std::string(kMinimalGateway) +
                            "security:\n"
                            "  issuers:\n"
                            "    - {name: a, issuer: x, algorithms: [none]}\n"
                            "    - {name: b, issuer: y, certificate: missing.pem}\n");
  api("", "  /x: {get: {}}\n");
  auto r = load();
  EXPECT_FALSE(r.snapshot);
  auto e = errors(r);
  ASSERT_EQ(e.size(), 3u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0],
            "proj/postern.yaml:5:7: issuer 'a' needs exactly one key source: 'certificate' (PEM), "
            "'jwks_file', 'jwks_url', 'hmac_secret_env' or 'hmac_secret_file'");
  EXPECT_EQ(e[1],
            "proj/postern.yaml:5:40: unknown JWT algorithm 'none' (allowed: RS256/384/512, PS256/384/512, "
            "ES256/384/512, EdDSA, HS256/384/512; 'none' is never accepted)");
  EXPECT_EQ(e[2],
            "proj/postern.yaml:6:41: certificate file 'missing.pem' does not exist (a PEM certificate or "
            "public key)");
}

TEST_F(SecurityConfigTest, RevocationLists) {
  write("certs/idp.pem", "not parsed here");
  write("postern.yaml", std::string(kMinimalGateway) +
                            "security:\n"
                            "  issuers:\n"
                            "    - {name: km, issuer: km-iss, certificate: certs/idp.pem,\n"
                            "       revocations_url: 'https://km:9443/oauth2/revocations', revocations_poll: 1s}\n"
                            "    - {name: km2, issuer: km2-iss, certificate: certs/idp.pem,\n"
                            "       revocations_url: 'http://127.0.0.1:9444/oauth2/revocations'}\n"
                            "    - {name: idp, issuer: idp-iss, certificate: certs/idp.pem}\n");
  api("", "  /x: {get: {}}\n");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  const auto& iss = r.snapshot->gateway.security.issuers;
  ASSERT_EQ(iss.size(), 3u);
  EXPECT_EQ(iss[0].revocations_url, "https://km:9443/oauth2/revocations");
  EXPECT_EQ(iss[0].revocations_poll.count(), 1000);
  EXPECT_EQ(iss[1].revocations_url, "http://127.0.0.1:9444/oauth2/revocations");
  EXPECT_EQ(iss[1].revocations_poll.count(), 10'000) << "the default period";
  EXPECT_EQ(iss[2].revocations_url, "");
}

TEST_F(SecurityConfigTest, RevocationListErrors) {
  write("certs/idp.pem", "not parsed here");
  write("postern.yaml", std::string(kMinimalGateway) +
                            "security:\n"
                            "  issuers:\n"
                            "    - {name: a, issuer: a, certificate: certs/idp.pem, revocations_url: 'ftp://km/r'}\n"
                            "    - {name: b, issuer: b, certificate: certs/idp.pem, revocations_url: 'http://:80/r'}\n"
                            "    - {name: c, issuer: c, certificate: certs/idp.pem, revocations_url: 'http://km/r',\n"
                            "       revocations_poll: 500ms}\n"
                            "    - {name: d, issuer: d, certificate: certs/idp.pem, revocations_poll: 5s}\n"
                            "    - {name: e, issuer: e, certificate: certs/idp.pem, revocations_url: 'http://km/r',\n"
                            "       revocations_poll: often}\n"
                            "    - {name: a, issuer: f, certificate: certs/idp.pem}\n");
  api("", "  /x: {get: {}}\n");
  auto r = load();
  EXPECT_FALSE(r.snapshot);
  auto e = errors(r);
  ASSERT_EQ(e.size(), 6u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0],
            "proj/postern.yaml:5:73: 'revocations_url': must start with http:// or https:// "
            "(e.g. https://km:9443/oauth2/revocations)");
  EXPECT_EQ(e[1],
            "proj/postern.yaml:6:73: 'revocations_url': endpoint URL 'http://:80/r' has no host; expected "
            "http://host[:port][/path] or https://host[:port][/path] (e.g. https://km:9443/oauth2/revocations)");
  EXPECT_EQ(e[2], "proj/postern.yaml:8:26: 'revocations_poll' must be at least 1s");
  EXPECT_EQ(e[3], "proj/postern.yaml:9:56: 'revocations_poll' needs 'revocations_url' (the list to poll)");
  EXPECT_EQ(e[4],
            "proj/postern.yaml:11:26: 'revocations_poll' must be a duration such as \"250ms\", \"10s\", \"2m\", "
            "\"1h\" or an integer of milliseconds");
  EXPECT_EQ(e[5],
            "proj/postern.yaml:12:7: issuer name 'a' is used twice (first at proj/postern.yaml:5:7): names tell "
            "issuers apart in logs, metrics and revocation lists");
}

TEST_F(SecurityConfigTest, UsersAndApiKeysAreStoredOnlyAsHashes) {
  write("postern.yaml", std::string(kMinimalGateway) +
                            "security:\n"
                            "  users:\n"
                            "    - {username: alice, password_hash: hunter2}\n"
                            "    - {username: bob, password_hash: '$scrypt$ln=13,r=8,p=1$c2FsdA$aGFzaA', scopes: [a]}\n"
                            "  api_keys:\n"
                            "    - {name: k1, sha256: not-hex}\n"
                            "    - {name: k2, sha256: " +
                            std::string(64, 'A') + ", apis: ['Shop:*'], tier: Gold}\n");
  api("", "  /x: {get: {}}\n");
  auto r = load();
  EXPECT_FALSE(r.snapshot);
  auto e = errors(r);
  ASSERT_EQ(e.size(), 2u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0],
            "proj/postern.yaml:5:40: 'password_hash' must be a hash made by `postern hash-password` "
            "($scrypt$...), or a WSO2 3.x hash (40 hex digits or @sha256:{64 hex digits}); passwords are never "
            "stored in clear");
  EXPECT_NE(e[1].find("'sha256' must be the 64 hex digits of SHA-256(key)"), std::string::npos) << e[1];
}

TEST_F(SecurityConfigTest, Wso2PasswordHashesLoadWithAWarning) {
  write("postern.yaml", std::string(kMinimalGateway) +
                            "security:\n"
                            "  users:\n"
                            "    - {username: alice, password_hash: 5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8}\n"
                            "    - {username: bob, password_hash: '@sha256:{" +
                            std::string(64, 'a') + "}'}\n"
                            "    - {username: eve, password_hash: 5BAA61E4C9B93F3F0682250B6CF8331B7EE68FDX}\n");
  api("", "  /x: {get: {}}\n");
  auto r = load();
  EXPECT_THAT(errors(r), ElementsAre(::testing::StartsWith("proj/postern.yaml:7:38: 'password_hash' must be a hash")));
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(r.warnings[0].format(),
            "proj/postern.yaml:5:40: warning: user 'alice' has a WSO2 3.x password hash (unsalted SHA-1 or SHA-256), "
            "which Postern accepts for migration; anyone who reads this file can test guesses very fast, so "
            "replace it with a hash from `postern hash-password` once the user can set a new password");
  EXPECT_EQ(r.warnings[1].line, 6);
}

}  // namespace
}  // namespace postern::config::testing
