// The key manager's revocation list as the gateway reads it (parse_revocation_list) and
// keeps it (RevocationFeed): fetch results are made by hand, no sockets.
#include <gtest/gtest.h>

#include "filters/auth/revocation_feed.h"
#include "filters/auth/revocation_list.h"
#include "upstream/http_get.h"

namespace postern::filters {
namespace {

TEST(RevocationList, ParsesTheKeyManagersFormat) {
  RevocationList l;
  ASSERT_TRUE(parse_revocation_list(
      R"({"version":7,"revoked":[{"jti":"a","exp":1700000000},{"jti":"b","exp":1700000001,"extra":1}],"more":{}})", l))
      << "unknown members are ignored";
  EXPECT_EQ(l.version, 7u);
  EXPECT_EQ(l.jtis, (RevokedJtis{"a", "b"}));
  ASSERT_TRUE(parse_revocation_list(R"({"version":0,"revoked":[]})", l));
  EXPECT_TRUE(l.jtis.empty());
}

TEST(RevocationList, RefusesMalformedListsAndLeavesTheOutputAlone) {
  const char* bad[] = {
      "",
      "not json",
      "[]",
      R"({"version":1})",                                          // no revoked
      R"({"revoked":[]})",                                         // no version
      R"({"version":-1,"revoked":[]})",                            // negative version
      R"({"version":"1","revoked":[]})",                           // version as a string
      R"({"version":1,"revoked":{}})",                             // revoked not an array
      R"({"version":1,"revoked":["a"]})",                          // entry not an object
      R"({"version":1,"revoked":[{"exp":1}]})",                    // no jti
      R"({"version":1,"revoked":[{"jti":"","exp":1}]})",           // empty jti
      R"({"version":1,"revoked":[{"jti":7,"exp":1}]})",            // jti not a string
      R"({"version":1,"revoked":[{"jti":"a"}]})",                  // no exp
      R"({"version":1,"revoked":[{"jti":"a","exp":"soon"}]})",     // exp not an integer
      R"({"version":1,"revoked":[{"jti":"a","exp":1.5}]})",        // exp not an integer
      R"({"version":1,"revoked":[{"jti":"a","exp":1},{"x":1}]})",  // one bad entry spoils the list
      R"({"version":1,"revoked":[{"jti":"a","exp":1}])",           // truncated
  };
  for (const char* json : bad) {
    RevocationList l;
    l.version = 99;
    l.jtis = {"kept"};
    Status s = parse_revocation_list(json, l);
    EXPECT_FALSE(s) << json;
    EXPECT_FALSE(s.message().empty()) << json;
    EXPECT_EQ(l.version, 99u) << json;
    EXPECT_EQ(l.jtis, RevokedJtis{"kept"}) << json;
  }
}

upstream::HttpGetResult ok(std::string body, std::string etag) {
  upstream::HttpGetResult r;
  r.ok = true;
  r.status = 200;
  r.body = std::move(body);
  r.etag = std::move(etag);
  return r;
}

upstream::HttpGetResult not_modified() {
  upstream::HttpGetResult r;
  r.ok = r.not_modified = true;
  r.status = 304;
  return r;
}

upstream::HttpGetResult failed(int status, std::string error) {
  upstream::HttpGetResult r;
  r.status = status;
  r.error = std::move(error);
  return r;
}

TEST(RevocationFeed, NewListsReplaceTheOldOneWhole) {
  RevocationFeed f;
  EXPECT_EQ(f.jtis(), nullptr);
  EXPECT_EQ(f.etag(), "");
  EXPECT_EQ(f.apply(ok(R"({"version":1,"revoked":[{"jti":"a","exp":9}]})", "\"1\"")),
            RevocationFeed::Outcome::kUpdated);
  ASSERT_NE(f.jtis(), nullptr);
  EXPECT_EQ(*f.jtis(), RevokedJtis{"a"});
  EXPECT_EQ(f.etag(), "\"1\"");
  auto first = f.jtis();

  EXPECT_EQ(f.apply(not_modified()), RevocationFeed::Outcome::kNotModified);
  EXPECT_EQ(f.jtis(), first) << "a 304 keeps the very same list";

  // "a" dropped out (its token expired, or the list is simply shorter now), "b" is new.
  EXPECT_EQ(f.apply(ok(R"({"version":2,"revoked":[{"jti":"b","exp":9}]})", "\"2\"")),
            RevocationFeed::Outcome::kUpdated);
  EXPECT_EQ(*f.jtis(), RevokedJtis{"b"});
  EXPECT_EQ(*first, RevokedJtis{"a"}) << "a list handed to workers never changes";
  EXPECT_EQ(f.version(), 2u);
  EXPECT_EQ(f.etag(), "\"2\"");

  // A server without ETags resends the same list: nothing new to hand on.
  auto second = f.jtis();
  EXPECT_EQ(f.apply(ok(R"({"version":2,"revoked":[{"jti":"b","exp":9}]})", "")), RevocationFeed::Outcome::kNotModified);
  EXPECT_EQ(f.jtis(), second);
  EXPECT_EQ(f.etag(), "");
  EXPECT_EQ(f.counts().updated, 2u);
  EXPECT_EQ(f.counts().not_modified, 2u);
  EXPECT_EQ(f.counts().failed, 0u);
}

TEST(RevocationFeed, FailuresKeepTheLastGoodListAndCountAStreak) {
  RevocationFeed f;
  ASSERT_EQ(f.apply(ok(R"({"version":3,"revoked":[{"jti":"a","exp":9}]})", "\"3\"")),
            RevocationFeed::Outcome::kUpdated);
  auto good = f.jtis();
  const upstream::HttpGetResult failures[] = {
      failed(0, "cannot connect to km:9443: Connection refused"),
      failed(503, "HTTP status 503"),
      ok("<html>maintenance</html>", "\"x\""),
      ok(R"({"version":4,"revoked":[{"jti":"a"}]})", "\"4\""),
  };
  uint64_t n = 0;
  for (const auto& r : failures) {
    EXPECT_EQ(f.apply(r), RevocationFeed::Outcome::kFailed) << r.body;
    EXPECT_EQ(f.failures_in_a_row(), ++n);
    EXPECT_EQ(f.jtis(), good) << "the last good list must stay in force";
    EXPECT_EQ(f.etag(), "\"3\"") << "a bad answer's ETag must not be asked with";
    EXPECT_EQ(f.version(), 3u);
    EXPECT_FALSE(f.last_error().empty());
  }
  EXPECT_NE(f.last_error().find("not a revocation list"), std::string::npos) << f.last_error();
  EXPECT_EQ(f.counts().failed, 4u);
  EXPECT_EQ(f.apply(not_modified()), RevocationFeed::Outcome::kNotModified);
  EXPECT_EQ(f.failures_in_a_row(), 0u) << "a success ends the streak";
  EXPECT_EQ(f.last_error(), "");
}

TEST(RevocationFeed, NothingToKeepBeforeTheFirstGoodList) {
  RevocationFeed f;
  EXPECT_EQ(f.apply(failed(500, "HTTP status 500")), RevocationFeed::Outcome::kFailed);
  EXPECT_EQ(f.jtis(), nullptr);
  EXPECT_EQ(f.apply(not_modified()), RevocationFeed::Outcome::kFailed) << "a 304 with no list in hand";
  EXPECT_EQ(f.jtis(), nullptr);
  EXPECT_EQ(f.failures_in_a_row(), 2u);
}

TEST(RevocationFeed, AnotherUrlIsAskedUnconditionallyButTheListStays) {
  RevocationFeed f;
  ASSERT_EQ(f.apply(ok(R"({"version":1,"revoked":[{"jti":"a","exp":9}]})", "\"1\"")),
            RevocationFeed::Outcome::kUpdated);
  f.forget_etag();
  EXPECT_EQ(f.etag(), "");
  EXPECT_EQ(*f.jtis(), RevokedJtis{"a"});
}

}  // namespace
}  // namespace postern::filters
