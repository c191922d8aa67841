#pragma once
// The Store contract (src/keymanager/store.h) as one typed test suite, run against every
// implementation: SqliteKeyStore here (sqlite_key_store_test.cc) and PostgresKeyStore on a
// real server (tests/integration/keymanager_store_test.cc).
//
// A Backend provides:
//   static std::string start();   // before the suite; "" or why it cannot run
//   static void stop();           // after the suite
//   static std::string fresh_database();                        // a new, empty database
//   static std::unique_ptr<Store> open(const std::string& db);  // one more store on it
#include <gtest/gtest.h>

#include <atomic>
#include <ctime>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "keymanager/store.h"

namespace postern::keymanager::testing {

constexpr int64_t kNow = 1'800'000'000;  // 2027-01-15

// Values that would change a statement if they were ever spliced into SQL.
inline const std::vector<std::string>& hostile_strings() {
  static const std::vector<std::string> strings = {
      "'; DROP TABLE applications;--",
      "Robert'); DROP TABLE clients; --",
      "x' OR '1'='1",
      "\" OR \"\"=\"",
      "1; DELETE FROM users WHERE 1=1",
      "$1 $2 ?1 ? :name @p %s %d {}",
      "back\\slash \\' \\\" \\0",
      "line\nbreak\ttab\r",
      "名前 🔑 émoji",
      std::string(10000, 'x'),
      "",
  };
  return strings;
}

template <class Backend>
class StoreContract : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { start_error() = Backend::start(); }
  static void TearDownTestSuite() { Backend::stop(); }
  static std::string& start_error() {
    static std::string error;
    return error;
  }

  void SetUp() override {
    ASSERT_EQ(start_error(), "");
    database_ = Backend::fresh_database();
    store_ = Backend::open(database_);
  }

  Store& store() { return *store_; }
  std::unique_ptr<Store> open_again() { return Backend::open(database_); }

  Application add_app(const std::string& name) {
    return store().create_application(
        {.id = "", .name = name, .tier = "Unlimited", .owner = "alice", .created_at = kNow});
  }
  Client add_client(const std::string& client_id, const std::string& application_id, int64_t created_at = kNow) {
    Client c{.client_id = client_id,
             .application_id = application_id,
             .secret_hash = "$scrypt$hash-of-" + client_id,
             .key_type = "PRODUCTION",
             .public_key_pem = "",
             .created_at = created_at};
    store().create_client(c);
    return c;
  }
  RefreshToken add_refresh(const std::string& hash, const std::string& family, const std::string& client_id,
                           int64_t expires_at = kNow + 3600) {
    RefreshToken t{.token_hash = hash,
                   .family_id = family,
                   .client_id = client_id,
                   .username = "bob",
                   .scope = "read write",
                   .expires_at = expires_at,
                   .used = false};
    store().store_refresh(t);
    return t;
  }

  std::string database_;
  std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE_P(StoreContract);

TYPED_TEST_P(StoreContract, ApplicationsCreateReadListDelete) {
  Application shop = this->add_app("Shop");
  EXPECT_EQ(shop.id.size(), 22u) << "16 random bytes, base64url";
  Application given = this->store().create_application(
      {.id = "app-fixed", .name = "Analytics", .tier = "Gold", .owner = "carol", .created_at = kNow + 5});
  EXPECT_EQ(given.id, "app-fixed");

  std::optional<Application> read = this->store().get_application(shop.id);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->name, "Shop");
  EXPECT_EQ(read->tier, "Unlimited");
  EXPECT_EQ(read->owner, "alice");
  EXPECT_EQ(read->created_at, kNow);
  ASSERT_TRUE(this->store().get_application_by_name("Analytics"));
  EXPECT_EQ(this->store().get_application_by_name("Analytics")->id, "app-fixed");
  EXPECT_FALSE(this->store().get_application_by_name("shop")) << "names are case-sensitive";
  EXPECT_FALSE(this->store().get_application("nope"));

  std::vector<Application> all = this->store().list_applications();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "Analytics");  // by name
  EXPECT_EQ(all[1].name, "Shop");

  EXPECT_TRUE(this->store().delete_application(shop.id));
  EXPECT_FALSE(this->store().delete_application(shop.id));
  EXPECT_FALSE(this->store().get_application(shop.id));
  EXPECT_EQ(this->store().list_applications().size(), 1u);
}

TYPED_TEST_P(StoreContract, DuplicateApplicationNameIsAConflict) {
  this->add_app("Shop");
  try {
    this->add_app("Shop");
    FAIL() << "no StoreConflict";
  } catch (const StoreConflict& e) {
    EXPECT_NE(std::string(e.what()).find("'Shop'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(
      this->store().create_application(
          {.id = this->store().list_applications()[0].id, .name = "Other", .tier = "", .owner = "", .created_at = 0}),
      StoreConflict);
  EXPECT_EQ(this->store().list_applications().size(), 1u);
}

TYPED_TEST_P(StoreContract, DeletingAnApplicationDeletesWhatHangsOffIt) {
  Application doomed = this->add_app("Doomed"), kept = this->add_app("Kept");
  this->add_client("doomed-1", doomed.id);
  this->add_client("doomed-2", doomed.id);
  this->add_client("kept-1", kept.id);
  this->store().subscribe({.application_id = doomed.id, .api_name = "pets", .api_version = "1", .tier = "Gold"});
  this->store().subscribe({.application_id = kept.id, .api_name = "pets", .api_version = "1", .tier = "Gold"});
  this->add_refresh("rt-doomed", "fam-doomed", "doomed-1");
  this->add_refresh("rt-kept", "fam-kept", "kept-1");
  ASSERT_TRUE(this->store().remember_assertion("doomed-2", "jti-1", std::time(nullptr) + 600));

  ASSERT_TRUE(this->store().delete_application(doomed.id));
  EXPECT_FALSE(this->store().get_client("doomed-1"));
  EXPECT_FALSE(this->store().get_client("doomed-2"));
  EXPECT_TRUE(this->store().clients_of(doomed.id).empty());
  EXPECT_TRUE(this->store().subscriptions_of(doomed.id).empty());
  EXPECT_EQ(this->store().consume_refresh("rt-doomed", kNow).status, ConsumeResult::kUnknown);
  // A token request racing the deletion cannot store a token for the gone client.
  EXPECT_THROW(this->add_refresh("rt-late", "fam-doomed", "doomed-1"), StoreError);

  EXPECT_TRUE(this->store().get_client("kept-1"));
  EXPECT_EQ(this->store().subscriptions_of(kept.id).size(), 1u);
  EXPECT_EQ(this->store().consume_refresh("rt-kept", kNow).status, ConsumeResult::kOk);
}

TYPED_TEST_P(StoreContract, Clients) {
  Application app = this->add_app("Shop");
  this->add_client("c-late", app.id, kNow + 10);
  Client jwt_only{.client_id = "c-early",
                  .application_id = app.id,
                  .secret_hash = "",
                  .key_type = "SANDBOX",
                  .public_key_pem = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n",
                  .created_at = kNow};
  this->store().create_client(jwt_only);

  std::optional<Client> read = this->store().get_client("c-early");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->application_id, app.id);
  EXPECT_EQ(read->secret_hash, "");
  EXPECT_EQ(read->key_type, "SANDBOX");
  EXPECT_EQ(read->public_key_pem, jwt_only.public_key_pem);
  EXPECT_EQ(read->created_at, kNow);
  EXPECT_FALSE(this->store().get_client("c-none"));

  std::vector<Client> of_app = this->store().clients_of(app.id);
  ASSERT_EQ(of_app.size(), 2u);
  EXPECT_EQ(of_app[0].client_id, "c-early");  // oldest first
  EXPECT_EQ(of_app[1].client_id, "c-late");

  EXPECT_TRUE(this->store().update_client_secret("c-late", "$scrypt$new"));
  EXPECT_EQ(this->store().get_client("c-late")->secret_hash, "$scrypt$new");
  EXPECT_FALSE(this->store().update_client_secret("c-none", "$scrypt$new"));

  EXPECT_THROW(this->add_client("c-late", app.id), StoreConflict);
  try {
    this->add_client("c-orphan", "no-such-app");
    FAIL() << "a client of an unknown application was stored";
  } catch (const StoreConflict& e) {
    FAIL() << "an unknown application is not a conflict: " << e.what();
  } catch (const StoreError&) {
  }
}

TYPED_TEST_P(StoreContract, Subscriptions) {
  Application app = this->add_app("Shop");
  this->store().subscribe({.application_id = app.id, .api_name = "pets", .api_version = "2", .tier = "Gold"});
  this->store().subscribe({.application_id = app.id, .api_name = "pets", .api_version = "1", .tier = "Bronze"});
  this->store().subscribe({.application_id = app.id, .api_name = "orders", .api_version = "1", .tier = "Gold"});
  // Subscribing again changes the tier, never adds a second row.
  this->store().subscribe({.application_id = app.id, .api_name = "pets", .api_version = "1", .tier = "Unlimited"});

  std::vector<Subscription> subs = this->store().subscriptions_of(app.id);
  ASSERT_EQ(subs.size(), 3u);
  EXPECT_EQ(subs[0].api_name, "orders");
  EXPECT_EQ(subs[1].api_name, "pets");
  EXPECT_EQ(subs[1].api_version, "1");
  EXPECT_EQ(subs[1].tier, "Unlimited");
  EXPECT_EQ(subs[2].api_version, "2");
  EXPECT_EQ(subs[2].application_id, app.id);

  EXPECT_TRUE(this->store().unsubscribe(app.id, "pets", "2"));
  EXPECT_FALSE(this->store().unsubscribe(app.id, "pets", "2"));
  EXPECT_EQ(this->store().subscriptions_of(app.id).size(), 2u);
  EXPECT_THROW(this->store().subscribe(
                   {.application_id = "no-such-app", .api_name = "a", .api_version = "1", .tier = "Gold"}),
               StoreError);
}

TYPED_TEST_P(StoreContract, Users) {
  this->store().add_user({.username = "bob", .password_hash = "$scrypt$bob", .roles = {"zeta", "admin", "alpha"}});
  this->store().add_user({.username = "eve", .password_hash = "$scrypt$eve", .roles = {}});
  std::optional<User> bob = this->store().get_user("bob");
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->password_hash, "$scrypt$bob");
  EXPECT_EQ(bob->roles, (std::vector<std::string>{"zeta", "admin", "alpha"}));  // as given
  EXPECT_TRUE(this->store().get_user("eve")->roles.empty());
  EXPECT_FALSE(this->store().get_user("Bob"));

  // A duplicate is refused whole: the first user's roles are untouched.
  EXPECT_THROW(this->store().add_user({.username = "bob", .password_hash = "x", .roles = {"other"}}), StoreConflict);
  EXPECT_EQ(this->store().get_user("bob")->roles.size(), 3u);
  EXPECT_EQ(this->store().get_user("bob")->password_hash, "$scrypt$bob");

  EXPECT_TRUE(this->store().set_user_password("bob", "$scrypt$new"));
  EXPECT_EQ(this->store().get_user("bob")->password_hash, "$scrypt$new");
  EXPECT_FALSE(this->store().set_user_password("nobody", "$scrypt$new"));
}

TYPED_TEST_P(StoreContract, SigningKeys) {
  auto key = [](std::string kid, int64_t created_at, int64_t published_until) {
    return SigningKey{.kid = kid,
                      .alg = "ES256",
                      .private_pem_sealed = "v1.nonce." + kid,
                      .public_pem = "PEM " + kid,
                      .created_at = created_at,
                      .signs_from = created_at + 60,
                      .signs_until = created_at + 3600,
                      .published_until = published_until};
  };
  this->store().add_signing_key(key("k-new", kNow, kNow + 7200));
  this->store().add_signing_key(key("k-old", kNow - 5000, kNow - 1));
  this->store().add_signing_key(key("k-edge", kNow - 100, kNow));
  EXPECT_THROW(this->store().add_signing_key(key("k-new", kNow, kNow)), StoreConflict);

  std::vector<SigningKey> keys = this->store().signing_keys();
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0].kid, "k-old");  // oldest first
  EXPECT_EQ(keys[1].kid, "k-edge");
  EXPECT_EQ(keys[2].kid, "k-new");
  EXPECT_EQ(keys[2].alg, "ES256");
  EXPECT_EQ(keys[2].private_pem_sealed, "v1.nonce.k-new");
  EXPECT_EQ(keys[2].public_pem, "PEM k-new");
  EXPECT_EQ(keys[2].signs_from, kNow + 60);
  EXPECT_EQ(keys[2].signs_until, kNow + 3600);
  EXPECT_EQ(keys[2].published_until, kNow + 7200);

  // Published until `now` inclusive: only the key whose published_until has passed goes.
  EXPECT_EQ(this->store().delete_expired_keys(kNow), 1);
  EXPECT_EQ(this->store().signing_keys().size(), 2u);
  EXPECT_EQ(this->store().delete_expired_keys(kNow), 0);

  // A rotation to k-next at kNow + 600: the others' turns end then; k-new leaves the JWKS
  // an hour later instead of at kNow + 7200, k-edge keeps its earlier published_until.
  this->store().add_signing_key(key("k-next", kNow + 1, kNow + 9000));
  EXPECT_EQ(this->store().end_turns_before("k-next", kNow + 600, kNow + 4200), 2);
  keys = this->store().signing_keys();
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0].kid, "k-edge");
  EXPECT_EQ(keys[0].signs_until, kNow + 600);
  EXPECT_EQ(keys[0].published_until, kNow) << "never published longer than before";
  EXPECT_EQ(keys[1].kid, "k-new");
  EXPECT_EQ(keys[1].signs_until, kNow + 600);
  EXPECT_EQ(keys[1].published_until, kNow + 4200);
  EXPECT_EQ(keys[2].kid, "k-next");
  EXPECT_EQ(this->store().end_turns_before("k-next", kNow + 600, kNow + 4200), 0) << "ended turns are left alone";
  EXPECT_EQ(keys[2].signs_until, kNow + 1 + 3600) << "the successor keeps its schedule";
}

TYPED_TEST_P(StoreContract, RefreshRotationAndReuse) {
  Application app = this->add_app("Shop");
  this->add_client("c1", app.id);
  RefreshToken first = this->add_refresh("rt-1", "fam-a", "c1");
  this->add_refresh("rt-other-family", "fam-b", "c1");
  EXPECT_THROW(this->add_refresh("rt-1", "fam-a", "c1"), StoreConflict);

  ConsumeResult ok = this->store().consume_refresh("rt-1", kNow);
  ASSERT_EQ(ok.status, ConsumeResult::kOk);
  EXPECT_EQ(ok.token.token_hash, "rt-1");
  EXPECT_EQ(ok.token.family_id, "fam-a");
  EXPECT_EQ(ok.token.client_id, "c1");
  EXPECT_EQ(ok.token.username, "bob");
  EXPECT_EQ(ok.token.scope, "read write");
  EXPECT_EQ(ok.token.expires_at, first.expires_at);
  EXPECT_TRUE(ok.token.used);
  this->add_refresh("rt-2", "fam-a", "c1");  // the rotated token

  // The old token comes back: someone else holds it. The whole family goes.
  ConsumeResult reused = this->store().consume_refresh("rt-1", kNow);
  EXPECT_EQ(reused.status, ConsumeResult::kReused);
  EXPECT_EQ(reused.token.family_id, "fam-a");
  EXPECT_EQ(this->store().consume_refresh("rt-2", kNow).status, ConsumeResult::kUnknown);
  EXPECT_EQ(this->store().consume_refresh("rt-1", kNow).status, ConsumeResult::kUnknown);
  EXPECT_EQ(this->store().consume_refresh("rt-other-family", kNow).status, ConsumeResult::kOk);
}

TYPED_TEST_P(StoreContract, FindRefreshDoesNotUseTheTokenUp) {
  Application app = this->add_app("Shop");
  this->add_client("c1", app.id);
  RefreshToken stored = this->add_refresh("rt-1", "fam-a", "c1");
  for (int i = 0; i < 2; ++i) {
    auto found = this->store().find_refresh("rt-1");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->family_id, "fam-a");
    EXPECT_EQ(found->client_id, "c1");
    EXPECT_EQ(found->scope, "read write");
    EXPECT_EQ(found->expires_at, stored.expires_at);
    EXPECT_FALSE(found->used);
  }
  EXPECT_EQ(this->store().consume_refresh("rt-1", kNow).status, ConsumeResult::kOk);
  auto used = this->store().find_refresh("rt-1");
  ASSERT_TRUE(used);
  EXPECT_TRUE(used->used);
  EXPECT_FALSE(this->store().find_refresh("rt-never"));
}

TYPED_TEST_P(StoreContract, RefreshExpiredAndUnknown) {
  Application app = this->add_app("Shop");
  this->add_client("c1", app.id);
  this->add_refresh("rt-expired", "fam-a", "c1", kNow - 1);
  this->add_refresh("rt-edge", "fam-b", "c1", kNow);
  ConsumeResult expired = this->store().consume_refresh("rt-expired", kNow);
  EXPECT_EQ(expired.status, ConsumeResult::kExpired);
  EXPECT_EQ(expired.token.family_id, "fam-a");
  EXPECT_FALSE(expired.token.used);
  // Still expired, not "reused": presenting an expired token does not revoke its family.
  EXPECT_EQ(this->store().consume_refresh("rt-expired", kNow).status, ConsumeResult::kExpired);
  EXPECT_EQ(this->store().consume_refresh("rt-edge", kNow).status, ConsumeResult::kExpired);
  ConsumeResult unknown = this->store().consume_refresh("rt-never", kNow);
  EXPECT_EQ(unknown.status, ConsumeResult::kUnknown);
  EXPECT_EQ(unknown.token.token_hash, "");
}

TYPED_TEST_P(StoreContract, RevokeRefreshByFamilyAndByClient) {
  Application app = this->add_app("Shop");
  this->add_client("c1", app.id);
  this->add_client("c2", app.id);
  this->add_refresh("a1", "fam-a", "c1");
  this->add_refresh("a2", "fam-a", "c1");
  this->add_refresh("b1", "fam-b", "c1");
  this->add_refresh("c2-1", "fam-c", "c2");
  EXPECT_EQ(this->store().revoke_refresh_family("fam-a"), 2);
  EXPECT_EQ(this->store().revoke_refresh_family("fam-a"), 0);
  EXPECT_EQ(this->store().consume_refresh("a2", kNow).status, ConsumeResult::kUnknown);
  EXPECT_EQ(this->store().revoke_refresh_of_client("c1"), 1);
  EXPECT_EQ(this->store().consume_refresh("b1", kNow).status, ConsumeResult::kUnknown);
  EXPECT_EQ(this->store().consume_refresh("c2-1", kNow).status, ConsumeResult::kOk);
}

TYPED_TEST_P(StoreContract, Revocations) {
  EXPECT_EQ(this->store().revocation_version(), 0);
  EXPECT_FALSE(this->store().is_revoked("j1"));
  this->store().add_revocation({.jti = "j1", .expires_at = kNow + 600, .revoked_at = kNow});
  this->store().add_revocation({.jti = "j2", .expires_at = kNow + 600, .revoked_at = kNow + 10});
  EXPECT_EQ(this->store().revocation_version(), 2);
  EXPECT_TRUE(this->store().is_revoked("j1"));
  // Revoking again changes nothing, the version included (a gateway's ETag stays valid).
  this->store().add_revocation({.jti = "j1", .expires_at = kNow + 600, .revoked_at = kNow + 20});
  EXPECT_EQ(this->store().revocation_version(), 2);

  std::vector<Revocation> since = this->store().revocations_since(kNow);
  ASSERT_EQ(since.size(), 1u);
  EXPECT_EQ(since[0].jti, "j2");
  EXPECT_EQ(since[0].expires_at, kNow + 600);
  EXPECT_EQ(since[0].revoked_at, kNow + 10);
  std::vector<Revocation> every = this->store().revocations_since(0);
  ASSERT_EQ(every.size(), 2u);
  EXPECT_EQ(every[0].jti, "j1");  // by revoked_at
  EXPECT_EQ(every[0].revoked_at, kNow);

  // After both tokens expired, the next revocation forgets them; the version still grows.
  this->store().add_revocation({.jti = "j3", .expires_at = kNow + 2000, .revoked_at = kNow + 601});
  EXPECT_FALSE(this->store().is_revoked("j1"));
  EXPECT_TRUE(this->store().is_revoked("j3"));
  EXPECT_EQ(this->store().revocations_since(0).size(), 1u);
  EXPECT_EQ(this->store().revocation_version(), 3);
}

TYPED_TEST_P(StoreContract, ClientAssertionReplay) {
  Application app = this->add_app("Shop");
  this->add_client("c1", app.id);
  this->add_client("c2", app.id);
  const int64_t live = std::time(nullptr) + 600;
  EXPECT_TRUE(this->store().remember_assertion("c1", "jti-1", live));
  EXPECT_FALSE(this->store().remember_assertion("c1", "jti-1", live)) << "replay accepted";
  EXPECT_TRUE(this->store().remember_assertion("c2", "jti-1", live)) << "jti is per client";
  EXPECT_TRUE(this->store().remember_assertion("c1", "jti-2", live));
  // An expired entry is forgotten before the next insert (the caller has refused the
  // expired assertion itself already).
  const int64_t past = std::time(nullptr) - 10;
  EXPECT_TRUE(this->store().remember_assertion("c1", "jti-old", past));
  EXPECT_TRUE(this->store().remember_assertion("c1", "jti-old", past));
  EXPECT_FALSE(this->store().remember_assertion("c1", "jti-2", live));
}

TYPED_TEST_P(StoreContract, HostileStringsAreStoredVerbatim) {
  const std::vector<std::string>& hostile = hostile_strings();
  for (size_t i = 0; i < hostile.size(); ++i) {
    const std::string& s = hostile[i];
    const std::string n = std::to_string(i);
    SCOPED_TRACE("string #" + n);
    Application app = this->store().create_application(
        {.id = s + n, .name = s + "#" + n, .tier = s, .owner = s, .created_at = kNow});
    std::optional<Application> read = this->store().get_application_by_name(s + "#" + n);
    ASSERT_TRUE(read);
    EXPECT_EQ(read->id, s + n);
    EXPECT_EQ(read->tier, s);
    EXPECT_EQ(read->owner, s);

    Client c{.client_id = s + "/c" + n,
             .application_id = app.id,
             .secret_hash = s,
             .key_type = s,
             .public_key_pem = s,
             .created_at = kNow};
    this->store().create_client(c);
    std::optional<Client> rc = this->store().get_client(c.client_id);
    ASSERT_TRUE(rc);
    EXPECT_EQ(rc->secret_hash, s);
    EXPECT_EQ(rc->key_type, s);
    EXPECT_EQ(rc->public_key_pem, s);

    this->store().subscribe({.application_id = app.id, .api_name = s, .api_version = s, .tier = s});
    std::vector<Subscription> subs = this->store().subscriptions_of(app.id);
    ASSERT_EQ(subs.size(), 1u);
    EXPECT_EQ(subs[0].api_name, s);
    EXPECT_EQ(subs[0].api_version, s);
    EXPECT_EQ(subs[0].tier, s);

    this->store().add_user({.username = s + "@" + n, .password_hash = s, .roles = {s, s + "2"}});
    std::optional<User> u = this->store().get_user(s + "@" + n);
    ASSERT_TRUE(u);
    EXPECT_EQ(u->password_hash, s);
    EXPECT_EQ(u->roles, (std::vector<std::string>{s, s + "2"}));

    this->store().add_signing_key({.kid = s + "k" + n,
                                   .alg = s,
                                   .private_pem_sealed = s,
                                   .public_pem = s,
                                   .created_at = kNow,
                                   .signs_from = kNow,
                                   .signs_until = kNow,
                                   .published_until = kNow + 1});
    this->store().store_refresh({.token_hash = s + "t" + n,
                                 .family_id = s,
                                 .client_id = c.client_id,
                                 .username = s,
                                 .scope = s,
                                 .expires_at = kNow + 60,
                                 .used = false});
    ConsumeResult consumed = this->store().consume_refresh(s + "t" + n, kNow);
    ASSERT_EQ(consumed.status, ConsumeResult::kOk);
    EXPECT_EQ(consumed.token.scope, s);
    EXPECT_EQ(consumed.token.username, s);

    this->store().add_revocation({.jti = s + "j" + n, .expires_at = kNow + 60, .revoked_at = kNow});
    EXPECT_TRUE(this->store().is_revoked(s + "j" + n));
    EXPECT_TRUE(this->store().remember_assertion(c.client_id, s, std::time(nullptr) + 60));
    EXPECT_FALSE(this->store().remember_assertion(c.client_id, s, std::time(nullptr) + 60));
  }
  // Every table is still there with every row, and lookups matched only their own row.
  EXPECT_EQ(this->store().list_applications().size(), hostile.size());
  EXPECT_EQ(this->store().signing_keys().size(), hostile.size());
  EXPECT_EQ(this->store().revocations_since(0).size(), hostile.size());
  EXPECT_FALSE(this->store().get_application_by_name("x' OR '1'='1"));
  EXPECT_FALSE(this->store().get_user("' OR ''='"));
  Application after = this->add_app("after");
  EXPECT_TRUE(this->store().get_application(after.id));
}

TYPED_TEST_P(StoreContract, NulBytesAreRefused) {
  // PostgreSQL text cannot hold NUL; both stores refuse it rather than truncate.
  const std::string with_nul("a\0b", 3);
  EXPECT_THROW(this->add_app(with_nul), StoreError);
  EXPECT_THROW(this->store().get_user(with_nul), StoreError);
  EXPECT_TRUE(this->store().list_applications().empty());
}

TYPED_TEST_P(StoreContract, ReopeningKeepsEverything) {
  Application app = this->add_app("Shop");
  this->add_client("c1", app.id);
  this->store().add_revocation({.jti = "j1", .expires_at = kNow + 600, .revoked_at = kNow});
  this->store_.reset();
  std::unique_ptr<Store> again = this->open_again();
  EXPECT_EQ(again->get_application_by_name("Shop")->id, app.id);
  EXPECT_TRUE(again->get_client("c1"));
  EXPECT_EQ(again->revocation_version(), 1);
}

// Two stores on one database (two processes or replicas) and two threads on one store
// present the same refresh token at the same moment: exactly one gets it, the other sees a
// reuse. Likewise exactly one remembers a client assertion.
TYPED_TEST_P(StoreContract, ConcurrentConsumersOfOneTokenExactlyOneWins) {
  Application app = this->add_app("Shop");
  this->add_client("c1", app.id);
  std::unique_ptr<Store> other = this->open_again();
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string token = "rt-" + std::to_string(round), jti = "jti-" + std::to_string(round);
    this->add_refresh(token, "fam-" + std::to_string(round), "c1");
    // Odd rounds: both threads on the first store (its lock); even rounds: one per store.
    Store* stores[2] = {&this->store(), round % 2 ? &this->store() : other.get()};
    ConsumeResult results[2];
    bool remembered[2] = {false, false};
    std::latch start(2);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        results[t] = stores[t]->consume_refresh(token, kNow);
        remembered[t] = stores[t]->remember_assertion("c1", jti, std::time(nullptr) + 600);
      });
    }
    for (std::thread& t : threads) t.join();
    int winners = (results[0].status == ConsumeResult::kOk) + (results[1].status == ConsumeResult::kOk);
    int reused = (results[0].status == ConsumeResult::kReused) + (results[1].status == ConsumeResult::kReused);
    EXPECT_EQ(winners, 1);
    EXPECT_EQ(reused, 1);
    EXPECT_EQ(remembered[0] + remembered[1], 1);
  }
}

REGISTER_TYPED_TEST_SUITE_P(StoreContract, ApplicationsCreateReadListDelete, DuplicateApplicationNameIsAConflict,
                            DeletingAnApplicationDeletesWhatHangsOffIt, Clients, Subscriptions, Users, SigningKeys,
                            RefreshRotationAndReuse, FindRefreshDoesNotUseTheTokenUp, RefreshExpiredAndUnknown,
                            RevokeRefreshByFamilyAndByClient, Revocations, ClientAssertionReplay,
                            HostileStringsAreStoredVerbatim, NulBytesAreRefused, ReopeningKeepsEverything,
                            ConcurrentConsumersOfOneTokenExactlyOneWins);

}  // namespace postern::keymanager::testing
