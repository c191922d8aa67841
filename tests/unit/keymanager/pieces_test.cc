// Small pieces of the key manager: form bodies, OAuth error responses, the failed-auth
// limiter, the verified-secret cache.
#include <gtest/gtest.h>

#include "keymanager/failed_auth_limiter.h"
#include "keymanager/form.h"
#include "keymanager/oauth_error.h"
#include "keymanager/secret_hash.h"
#include "keymanager/verified_secrets.h"

namespace postern::keymanager {
namespace {

TEST(KmForm, DecodesPercentAndPlusAndReportsRepeats) {
  std::string why;
  auto f = Form::parse("a=1+2%2B3&b=&c&a=again&d=%C3%A9", why);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->get("a"), "1 2+3");
  EXPECT_FALSE(f->has("b"));
  EXPECT_FALSE(f->has("c"));
  EXPECT_EQ(f->get("d"), "\xC3\xA9");
  EXPECT_EQ(f->repeated(), "a");
  EXPECT_FALSE(Form::parse("a=%4", why));
  EXPECT_FALSE(Form::parse("a=%G0", why));
  EXPECT_FALSE(why.empty());
}

TEST(KmOAuthError, StatusHeadersAndBody) {
  KmResponse basic = oauth_error(OAuthError::kInvalidClient, "x", true);
  EXPECT_EQ(basic.status, 401);
  KmResponse post = oauth_error(OAuthError::kInvalidClient, "x", false);
  EXPECT_EQ(post.status, 400);
  EXPECT_EQ(oauth_error(OAuthError::kSlowDown, "x").status, 429);
  KmResponse grant = oauth_error(OAuthError::kInvalidGrant, "say \"why\"");
  EXPECT_EQ(grant.body, R"({"error":"invalid_grant","error_description":"say \"why\""})");
  int no_store = 0;
  for (const auto& [k, v] : grant.headers)
    no_store += (k == "Cache-Control" && v == "no-store") + (k == "Pragma" && v == "no-cache");
  EXPECT_EQ(no_store, 2);
}

TEST(KmFailedAuthLimiter, BlocksAtMaxUntilTheWindowEnds) {
  FailedAuthLimiter l(2, 60);
  EXPECT_TRUE(l.allowed("ip:a", 100));
  l.failed("ip:a", 100);
  l.failed("ip:a", 110);
  EXPECT_FALSE(l.allowed("ip:a", 120));
  EXPECT_TRUE(l.allowed("ip:b", 120));
  EXPECT_TRUE(l.allowed("ip:a", 160));
}

TEST(KmVerifiedSecrets, CachesOnlyGoodPairsAndMissesAfterRotation) {
  VerifiedSecrets v;
  const std::string h1 = hash_secret("s1");
  EXPECT_FALSE(v.verify("c", h1, "wrong"));
  EXPECT_TRUE(v.verify("c", h1, "s1"));
  EXPECT_TRUE(v.verify("c", h1, "s1"));  // from the cache
  EXPECT_FALSE(v.verify("c", h1, "wrong"));
  const std::string h2 = hash_secret("s2");  // rotated
  EXPECT_FALSE(v.verify("c", h2, "s1"));
  EXPECT_TRUE(v.verify("c", h2, "s2"));
}

}  // namespace
}  // namespace postern::keymanager
