// The token endpoint through KeyManager::handle: grants, client authentication and the
// RFC 6749 §5.2 errors, on a temp SQLite store (no sockets).
#include "jose/signer.h"
#include "keymanager/key_ring.h"
#include "km_fixture.h"

namespace postern::keymanager::testing {
namespace {

using Grants = KmTest;

TEST_F(Grants, ClientCredentialsWithBasicGivesAVerifiableWso2Token) {
  RegisteredClient c = client("shop");
  store_->subscribe(Subscription{store_->get_application_by_name("shop")->id, "Petstore", "1.0.0", "Gold"});
  KmResponse r = post("/oauth2/token", "grant_type=client_credentials", basic(c.id, c.secret));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(member(r.body, "token_type"), "Bearer");
  EXPECT_EQ(member(r.body, "expires_in"), "3600");
  EXPECT_EQ(member(r.body, "refresh_token"), "") << "no refresh token for client credentials (RFC 6749 §4.4.3)";
  auto claims = verified_claims(member(r.body, "access_token"));
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->iss, "https://km.test");
  EXPECT_EQ(claims->aud, std::vector<std::string>{"postern"});
  EXPECT_EQ(claims->exp, kNow + 3600);
  EXPECT_EQ(claims->azp, c.id);
  EXPECT_EQ(claims->consumer_key, c.id);
  EXPECT_EQ(claims->keytype, "PRODUCTION");
  ASSERT_TRUE(claims->application);
  EXPECT_EQ(claims->application->name, "shop");
  EXPECT_EQ(claims->application->tier, "Gold");
  EXPECT_EQ(claims->sub, "owner-shop");
  ASSERT_EQ(claims->subscribed_apis.size(), 1u);
  EXPECT_EQ(claims->subscribed_apis[0].name, "Petstore");
  EXPECT_EQ(claims->subscribed_apis[0].subscription_tier, "Gold");
  bool no_store = false;
  for (const auto& [k, v] : r.headers) no_store = no_store || (k == "Cache-Control" && v == "no-store");
  EXPECT_TRUE(no_store);
}

TEST_F(Grants, ClientSecretPostWorksAndTwoMethodsAreInvalidRequest) {
  RegisteredClient c = client("shop");
  EXPECT_EQ(
      post("/oauth2/token", "grant_type=client_credentials&client_id=" + c.id + "&client_secret=" + c.secret).status,
      200);
  KmResponse both = post("/oauth2/token",
                         "grant_type=client_credentials&client_id=" + c.id + "&client_secret=" + c.secret,
                         basic(c.id, c.secret));
  EXPECT_EQ(both.status, 400);
  EXPECT_EQ(member(both.body, "error"), "invalid_request");
}

TEST_F(Grants, WrongSecretAndUnknownClientAreInvalidClient) {
  RegisteredClient c = client("shop");
  KmResponse wrong = post("/oauth2/token", "grant_type=client_credentials", basic(c.id, "nope"));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(member(wrong.body, "error"), "invalid_client");
  bool challenge = false;
  for (const auto& [k, v] : wrong.headers) challenge = challenge || (k == "WWW-Authenticate" && v.starts_with("Basic"));
  EXPECT_TRUE(challenge);
  KmResponse unknown = post("/oauth2/token", "grant_type=client_credentials&client_id=ghost&client_secret=x");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(member(unknown.body, "error"), "invalid_client");
}

TEST_F(Grants, Rfc6749RequestErrors) {
  RegisteredClient c = client("shop");
  auto err = [&](const std::string& body) {
    return member(post("/oauth2/token", body, basic(c.id, c.secret)).body, "error");
  };
  EXPECT_EQ(err(""), "invalid_request");
  EXPECT_EQ(err("grant_type=authorization_code"), "unsupported_grant_type");
  EXPECT_EQ(err("grant_type=client_credentials&grant_type=password"), "invalid_request");
  EXPECT_EQ(err("grant_type=client_credentials&scope=admin"), "invalid_scope");
  EXPECT_EQ(err("grant_type=refresh_token&refresh_token=bogus"), "invalid_grant");
  EXPECT_EQ(err("grant_type=password&username=nobody&password=x"), "invalid_grant");
  EXPECT_EQ(err("grant_type=password"), "invalid_request");
  EXPECT_EQ(err("grant_type=%zz"), "invalid_request");
}

TEST_F(Grants, PasswordGrantRefreshRotatesAndReuseRevokesTheFamily) {
  RegisteredClient c = client("shop");
  ASSERT_TRUE(manage_->add_user("alice", "correct horse").ok);
  KmResponse first = post("/oauth2/token", "grant_type=password&username=alice&password=correct+horse",
                          basic(c.id, c.secret));
  ASSERT_EQ(first.status, 200) << first.body;
  auto claims = verified_claims(member(first.body, "access_token"));
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->sub, "alice");
  const std::string r1 = member(first.body, "refresh_token");
  ASSERT_FALSE(r1.empty());
  KmResponse second = post("/oauth2/token", "grant_type=refresh_token&refresh_token=" + r1, basic(c.id, c.secret));
  ASSERT_EQ(second.status, 200) << second.body;
  const std::string r2 = member(second.body, "refresh_token");
  EXPECT_NE(r2, r1);
  // r1 again: reuse. It fails, and r2 (same family) is revoked with it.
  KmResponse reuse = post("/oauth2/token", "grant_type=refresh_token&refresh_token=" + r1, basic(c.id, c.secret));
  EXPECT_EQ(member(reuse.body, "error"), "invalid_grant");
  KmResponse after = post("/oauth2/token", "grant_type=refresh_token&refresh_token=" + r2, basic(c.id, c.secret));
  EXPECT_EQ(member(after.body, "error"), "invalid_grant");
}

TEST_F(Grants, RefreshTokenOfAnotherClientIsRefused) {
  RegisteredClient a = client("shop"), b = client("other");
  ASSERT_TRUE(manage_->add_user("alice", "correct horse").ok);
  KmResponse first = post("/oauth2/token", "grant_type=password&username=alice&password=correct+horse",
                          basic(a.id, a.secret));
  KmResponse stolen = post("/oauth2/token",
                           "grant_type=refresh_token&refresh_token=" + member(first.body, "refresh_token"),
                           basic(b.id, b.secret));
  EXPECT_EQ(member(stolen.body, "error"), "invalid_grant");
}

TEST_F(Grants, FailedAuthenticationsAreLimitedPerClientEvenWithTheRightSecret) {
  RegisteredClient c = client("shop");
  for (int i = 0; i < 3; ++i)  // from three addresses: the per-client limit, not the per-IP one
    EXPECT_EQ(post("/oauth2/token", "grant_type=client_credentials", basic(c.id, "bad"), kNow,
                   "192.0.2." + std::to_string(10 + i))
                  .status,
              401);
  KmResponse limited = post("/oauth2/token", "grant_type=client_credentials", basic(c.id, c.secret), kNow,
                            "192.0.2.99");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(member(limited.body, "error"), "slow_down");
  // The window passes.
  EXPECT_EQ(
      post("/oauth2/token", "grant_type=client_credentials", basic(c.id, c.secret), kNow + 61, "192.0.2.99").status,
      200);
}

TEST_F(Grants, TokensOfADeletedApplicationStopAtTheTokenEndpointAndIntrospection) {
  RegisteredClient c = client("shop");
  KmResponse t = post("/oauth2/token", "grant_type=client_credentials", basic(c.id, c.secret));
  const std::string token = member(t.body, "access_token");
  RegisteredClient rs = client("gateway");
  EXPECT_EQ(member(post("/oauth2/introspect", "token=" + token, basic(rs.id, rs.secret)).body, "active"), "true");
  ASSERT_TRUE(manage_->delete_app("shop").ok);
  EXPECT_EQ(
      member(post("/oauth2/token", "grant_type=client_credentials", basic(c.id, c.secret), kNow, "192.0.2.7").body,
             "error"),
      "invalid_client");
  EXPECT_EQ(post("/oauth2/introspect", "token=" + token, basic(rs.id, rs.secret)).body, R"({"active":false})");
}

TEST_F(Grants, RevokedTokenIsInactiveAndListedForGateways) {
  RegisteredClient c = client("shop");
  const std::string token = member(post("/oauth2/token", "grant_type=client_credentials", basic(c.id, c.secret)).body,
                                   "access_token");
  KmResponse list0 = get("/oauth2/revocations");
  EXPECT_EQ(post("/oauth2/revoke", "token=" + token, basic(c.id, c.secret)).status, 200);
  EXPECT_EQ(post("/oauth2/revoke", "token=not-a-token", basic(c.id, c.secret)).status, 200) << "RFC 7009 §2.2";
  KmResponse intro = post("/oauth2/introspect", "token=" + token, basic(c.id, c.secret));
  EXPECT_EQ(intro.body, R"({"active":false})");
  KmResponse list = get("/oauth2/revocations");
  auto claims = verified_claims(token);
  ASSERT_TRUE(claims && claims->jti);
  EXPECT_NE(list.body.find(*claims->jti), std::string::npos) << list.body;
  EXPECT_NE(member(list.body, "version"), member(list0.body, "version"));
}

// RFC 7009 §2.1: a client may revoke only its own tokens, refresh tokens included.
TEST_F(Grants, ARefreshTokenIsRevokedOnlyByItsOwnClient) {
  RegisteredClient a = client("shop"), b = client("other");
  ASSERT_TRUE(manage_->add_user("alice", "correct horse").ok);
  KmResponse first = post("/oauth2/token", "grant_type=password&username=alice&password=correct+horse",
                          basic(a.id, a.secret));
  const std::string refresh = member(first.body, "refresh_token");
  ASSERT_FALSE(refresh.empty()) << first.body;
  KmResponse foreign = post("/oauth2/revoke", "token=" + refresh, basic(b.id, b.secret));
  EXPECT_EQ(member(foreign.body, "error"), "invalid_request") << foreign.body;
  KmResponse still = post("/oauth2/token", "grant_type=refresh_token&refresh_token=" + refresh, basic(a.id, a.secret));
  ASSERT_EQ(still.status, 200) << "another client revoked the refresh token: " << still.body;
  const std::string rotated = member(still.body, "refresh_token");
  EXPECT_EQ(post("/oauth2/revoke", "token=" + rotated, basic(a.id, a.secret)).status, 200);
  KmResponse gone = post("/oauth2/token", "grant_type=refresh_token&refresh_token=" + rotated, basic(a.id, a.secret));
  EXPECT_EQ(member(gone.body, "error"), "invalid_grant");
}

TEST_F(Grants, PrivateKeyJwtAssertionIsSingleUseAndMustBeFresh) {
  std::string private_pem, public_pem;
  ASSERT_TRUE(generate_key_pem(jose::Alg::kES256, private_pem, public_pem));
  RegisteredClient c = client("shop", public_pem);
  jose::Key key;
  ASSERT_TRUE(jose::Key::from_pem(private_pem, key));
  auto assertion = [&](const std::string& jti, int64_t exp) {
    std::string claims = JsonObject()
                             .add("iss", c.id)
                             .add("sub", c.id)
                             .add("aud", "https://km.test/oauth2/token")
                             .add("jti", jti)
                             .add("exp", exp)
                             .str();
    std::string token;
    EXPECT_TRUE(jose::sign(jose::Alg::kES256, key, "", claims, token));
    return "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%"
           "3Ajwt-bearer&client_assertion=" +
           token;
  };
  EXPECT_EQ(post("/oauth2/token", assertion("a1", kNow + 60)).status, 200);
  KmResponse replay = post("/oauth2/token", assertion("a1", kNow + 60));
  EXPECT_EQ(member(replay.body, "error"), "invalid_client");
  KmResponse expired = post("/oauth2/token", assertion("a2", kNow - 60), "", kNow, "192.0.2.5");
  EXPECT_EQ(member(expired.body, "error"), "invalid_client");
  KmResponse too_long = post("/oauth2/token", assertion("a3", kNow + 3600), "", kNow, "192.0.2.6");
  EXPECT_EQ(member(too_long.body, "error"), "invalid_client");
}

TEST_F(Grants, KeyRotationPublishesTheNewKeyBeforeItSignsAndKeepsTheOldOne) {
  RegisteredClient c = client("shop");
  auto token_at = [&](int64_t now) {
    return member(post("/oauth2/token", "grant_type=client_credentials", basic(c.id, c.secret), now).body,
                  "access_token");
  };
  const std::string before = token_at(kNow);
  KeyRing ring(*store_, *sealer_, KeySchedule{jose::Alg::kES256, 30 * 86400, 600, 3600});
  const std::string new_kid = ring.rotate(kNow);
  EXPECT_NE(get("/oauth2/jwks").body.find(new_kid), std::string::npos) << "published at once";
  jose::DecodedJwt jwt;
  const std::string during = token_at(kNow + 10);
  ASSERT_EQ(jose::decode(during, jwt), jose::JwtError::kNone);
  EXPECT_NE(jwt.header.kid, new_kid) << "the new key must not sign before publish_ahead";
  const std::string after = token_at(kNow + 700);
  ASSERT_EQ(jose::decode(after, jwt), jose::JwtError::kNone);
  EXPECT_EQ(jwt.header.kid, new_kid);
  EXPECT_TRUE(verified_claims(before, kNow + 700)) << "old key still published for its tokens";
  // The old key signed its last token at kNow + 600 (lifetime 3600): then it leaves the JWKS.
  jose::DecodedJwt old_jwt;
  ASSERT_EQ(jose::decode(before, old_jwt), jose::JwtError::kNone);
  EXPECT_NE(get("/oauth2/jwks", kNow + 4199).body.find(old_jwt.header.kid.value_or("?")), std::string::npos);
  EXPECT_EQ(get("/oauth2/jwks", kNow + 4201).body.find(old_jwt.header.kid.value_or("?")), std::string::npos);
}

TEST_F(Grants, MetricsCountTokensByGrantAndFailuresByReason) {
  RegisteredClient c = client("shop");
  post("/oauth2/token", "grant_type=client_credentials", basic(c.id, c.secret));
  post("/oauth2/token", "grant_type=client_credentials", basic(c.id, "bad"));
  post("/oauth2/token", "grant_type=nope", basic(c.id, c.secret));
  KmResponse m = get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4");
  EXPECT_NE(m.body.find("postern_km_tokens_issued_total{grant=\"client_credentials\"} 1\n"), std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("postern_km_tokens_issued_total{grant=\"password\"} 0\n"), std::string::npos);
  EXPECT_NE(m.body.find("postern_km_failures_total{reason=\"invalid_client\"} 1\n"), std::string::npos);
  EXPECT_NE(m.body.find("postern_km_failures_total{reason=\"unsupported_grant_type\"} 1\n"), std::string::npos);
}

TEST_F(Grants, DiscoveryNamesEveryEndpointUnderTheIssuer) {
  KmResponse d = get("/.well-known/openid-configuration");
  EXPECT_EQ(member(d.body, "issuer"), "https://km.test");
  EXPECT_EQ(member(d.body, "token_endpoint"), "https://km.test/oauth2/token");
  EXPECT_EQ(member(d.body, "jwks_uri"), "https://km.test/oauth2/jwks");
  EXPECT_EQ(member(d.body, "introspection_endpoint"), "https://km.test/oauth2/introspect");
  EXPECT_EQ(member(d.body, "revocation_endpoint"), "https://km.test/oauth2/revoke");
  EXPECT_EQ(get("/nowhere").status, 404);
  EXPECT_EQ(get("/oauth2/token").status, 405);
}

}  // namespace
}  // namespace postern::keymanager::testing
