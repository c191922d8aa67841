#include "filters/auth/jwt_authenticator.h"

#include <gtest/gtest.h>

#include "jose/key.h"
#include "jose/signer.h"

namespace postern::filters {
namespace {

const std::string kSecret(48, 's');

config::SecurityConfig security(std::vector<std::string> revoked = {}) {
  config::SecurityConfig s;
  config::JwtIssuer iss;
  iss.name = "t";
  iss.issuer = "iss-1";
  iss.hmac_secret = kSecret;
  iss.algorithms = {"HS256"};
  iss.leeway = config::Millis(0);
  s.issuers.push_back(iss);
  s.revoked_jtis = std::move(revoked);
  s.token_cache_entries = 2;
  return s;
}

// An authenticator with its per-worker slots for `workers` workers.
struct Built {
  std::shared_ptr<SlotRegistry> registry = std::make_shared<SlotRegistry>();
  std::shared_ptr<JwtAuthenticator> auth;
  std::vector<std::unique_ptr<WorkerSlots>> workers;
  WorkerSlots& worker(unsigned i) { return *workers[i]; }
  JwtAuthenticator* operator->() const { return auth.get(); }
  explicit operator bool() const { return auth != nullptr; }
};

Built build(const config::SecurityConfig& sec, unsigned workers, std::string& err,
            std::vector<std::string> claims = {}) {
  Built b;
  b.auth = JwtAuthenticator::build(sec, workers, *b.registry, err, std::move(claims));
  for (unsigned i = 0; i < workers; ++i)
    b.workers.push_back(std::make_unique<WorkerSlots>(b.registry, SlotEnv{nullptr, i}));
  return b;
}

std::string mint(const std::string& payload, const std::string& secret = kSecret) {
  jose::Key key;
  EXPECT_TRUE(jose::Key::from_secret(secret, key).ok());
  std::string token;
  EXPECT_TRUE(jose::sign(jose::Alg::kHS256, key, "", payload, token).ok());
  return token;
}

TEST(JwtAuthenticator, VerifiesThenServesFromCacheUntilExp) {
  std::string err;
  auto auth = build(security(), 2, err);
  ASSERT_TRUE(auth) << err;
  std::string t = mint(R"({"iss":"iss-1","sub":"alice","exp":1000,"jti":"j1","scope":"a b"})");
  auto r1 = auth->authenticate(t, auth.worker(0), 900);
  ASSERT_EQ(r1.outcome, JwtAuthenticator::Outcome::kOk) << r1.reason;
  EXPECT_EQ(r1.identity->subject, "alice");
  EXPECT_EQ(r1.identity->scopes, (std::vector<std::string>{"a", "b"}));
  auto r2 = auth->authenticate(t, auth.worker(0), 950);
  ASSERT_EQ(r2.outcome, JwtAuthenticator::Outcome::kOk);
  EXPECT_EQ(r2.identity.get(), r1.identity.get()) << "second use must come from the cache";
  auto r3 = auth->authenticate(t, auth.worker(1), 950);  // another worker: its own cache, verified again
  ASSERT_EQ(r3.outcome, JwtAuthenticator::Outcome::kOk);
  EXPECT_NE(r3.identity.get(), r1.identity.get());
  auto r4 = auth->authenticate(t, auth.worker(0), 1000);  // at exp: the cache entry is gone
  EXPECT_EQ(r4.outcome, JwtAuthenticator::Outcome::kExpired);
  EXPECT_EQ(r4.reason, "expired");
}

// Per-issuer claim names (Azure AD style: `oid` for the user, `roles` for permissions,
// `appid` for the client) and claims captured for throttling keys.
TEST(JwtAuthenticator, PerIssuerClaimNames) {
  auto sec = security();
  sec.issuers[0].subject_claim = "oid";
  sec.issuers[0].scopes_claim = "roles";
  sec.issuers[0].consumer_key_claim = "appid";
  std::string err;
  auto auth = build(sec, 1, err, {"org"});
  ASSERT_TRUE(auth) << err;
  std::string t = mint(R"({"iss":"iss-1","sub":"ignored","oid":"u-42","exp":1000,"scope":"not-used",)"
                       R"("roles":["orders.read","orders.write",7],"appid":"client-9","org":"acme"})");
  auto r = auth->authenticate(t, auth.worker(0), 900);
  ASSERT_EQ(r.outcome, JwtAuthenticator::Outcome::kOk) << r.reason;
  EXPECT_EQ(r.identity->subject, "u-42");
  EXPECT_EQ(r.identity->scopes, (std::vector<std::string>{"orders.read", "orders.write"}));
  EXPECT_EQ(r.identity->consumer_key, "client-9");
  ASSERT_NE(r.identity->claim("org"), nullptr);
  EXPECT_EQ(*r.identity->claim("org"), "acme");
  EXPECT_EQ(r.identity->claim("missing"), nullptr);
  // A space-separated string works for the scopes claim too; a missing subject claim
  // leaves the subject empty rather than falling back to `sub`.
  std::string t2 = mint(R"({"iss":"iss-1","sub":"s","exp":1000,"roles":"a b a"})");
  auto r2 = auth->authenticate(t2, auth.worker(0), 900);
  ASSERT_EQ(r2.outcome, JwtAuthenticator::Outcome::kOk) << r2.reason;
  EXPECT_EQ(r2.identity->subject, "");
  EXPECT_EQ(r2.identity->scopes, (std::vector<std::string>{"a", "b"}));
}

TEST(JwtAuthenticator, RevokedEvenWhenCached) {
  std::string err;
  std::string t = mint(R"({"iss":"iss-1","exp":1000,"jti":"bad"})");
  auto auth = build(security({"bad"}), 1, err);
  ASSERT_TRUE(auth) << err;
  auto r = auth->authenticate(t, auth.worker(0), 10);
  EXPECT_EQ(r.outcome, JwtAuthenticator::Outcome::kInvalid);
  EXPECT_EQ(r.reason, "revoked");
  r = auth->authenticate(t, auth.worker(0), 10);  // now cached as verified: still refused
  EXPECT_EQ(r.reason, "revoked");
}

TEST(JwtAuthenticator, PolledListIsPerIssuerPerWorkerAndReplacedWhole) {
  config::SecurityConfig sec = security();
  sec.issuers[0].revocations_url = "http://km/oauth2/revocations";
  config::JwtIssuer other = sec.issuers[0];
  other.name = "u";
  other.issuer = "iss-2";
  other.revocations_url.clear();
  sec.issuers.push_back(other);
  std::string err;
  auto auth = build(sec, 2, err);
  ASSERT_TRUE(auth) << err;
  const std::string a = mint(R"({"iss":"iss-1","exp":1000,"jti":"a"})");
  const std::string b = mint(R"({"iss":"iss-1","exp":1000,"jti":"b"})");
  const std::string a_of_other = mint(R"({"iss":"iss-2","exp":1000,"jti":"a"})");
  ASSERT_EQ(auth->authenticate(a, auth.worker(0), 10).outcome, JwtAuthenticator::Outcome::kOk);  // now cached

  auth->set_polled_revoked(0, "iss-1", std::make_shared<const RevokedJtis>(RevokedJtis{"a"}));
  EXPECT_EQ(auth->authenticate(a, auth.worker(0), 10).reason, "revoked") << "a cached token must be refused too";
  EXPECT_EQ(auth->authenticate(b, auth.worker(0), 10).outcome, JwtAuthenticator::Outcome::kOk);
  EXPECT_EQ(auth->authenticate(a_of_other, auth.worker(0), 10).outcome, JwtAuthenticator::Outcome::kOk)
      << "a list applies to its own issuer's tokens only";
  EXPECT_EQ(auth->authenticate(a, auth.worker(1), 10).outcome, JwtAuthenticator::Outcome::kOk)
      << "worker 1 has not been handed the list yet";

  // The next list replaces the previous one: "a" is no longer in it.
  auth->set_polled_revoked(0, "iss-1", std::make_shared<const RevokedJtis>(RevokedJtis{"b"}));
  EXPECT_EQ(auth->authenticate(a, auth.worker(0), 10).outcome, JwtAuthenticator::Outcome::kOk);
  EXPECT_EQ(auth->authenticate(b, auth.worker(0), 10).reason, "revoked");

  // A list for an issuer without revocations_url (or unknown) changes nothing.
  auth->set_polled_revoked(0, "iss-2", std::make_shared<const RevokedJtis>(RevokedJtis{"a"}));
  auth->set_polled_revoked(0, "nobody", std::make_shared<const RevokedJtis>(RevokedJtis{"a"}));
  EXPECT_EQ(auth->authenticate(a_of_other, auth.worker(0), 10).outcome, JwtAuthenticator::Outcome::kOk);
}

TEST(JwtAuthenticator, FailuresAreNotCached) {
  std::string err;
  auto auth = build(security(), 1, err);
  ASSERT_TRUE(auth) << err;
  EXPECT_EQ(auth->authenticate(mint(R"({"iss":"other","exp":1000})"), auth.worker(0), 10).reason, "unknown_issuer");
  EXPECT_EQ(auth->authenticate(mint(R"({"iss":"iss-1","exp":1000})", std::string(48, 'x')), auth.worker(0), 10).reason,
            "bad_signature");
  EXPECT_EQ(auth->authenticate(mint(R"({"iss":"iss-1"})"), auth.worker(0), 10).reason, "missing_exp");
  EXPECT_EQ(auth->authenticate("a.b", auth.worker(0), 10).reason, "malformed");
}

TEST(TokenCache, BoundedOldestFirst) {
  TokenCache c(2);
  auto id = std::make_shared<Identity>();
  id->expires_at = 100;
  auto k1 = digest_token("one"), k2 = digest_token("two"), k3 = digest_token("three");
  c.insert(k1, id);
  c.insert(k2, id);
  c.insert(k3, id);
  EXPECT_EQ(c.size(), 2u);
  EXPECT_FALSE(c.find(k1, 0));
  EXPECT_TRUE(c.find(k2, 0));
  EXPECT_TRUE(c.find(k3, 0));
  EXPECT_FALSE(c.find(k3, 100));
}

}  // namespace
}  // namespace postern::filters
