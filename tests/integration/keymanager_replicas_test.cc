// Two `postern keymanager` processes on one PostgreSQL database, as replicas behind a load
// balancer: they start together on an empty database, sign with the same keys, and a
// refresh token is honoured once whichever replica sees it (reuse detected across them).
#include <gtest/gtest.h>

#include "harness.h"
#include "jose/base64url.h"
#include "keymanager_store_backend.h"

namespace postern::itest {
namespace {

using keymanager::testing::PostgresBackend;

class KeymanagerReplicas : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = PostgresBackend::start();
    ASSERT_EQ(why, "") << why;
    write_file(dir_ / "master.key", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
    const std::string db = PostgresBackend::fresh_database();
    for (int i = 0; i < 2; ++i) {
      ports_[i] = free_port();
      write_file(dir_ / ("km" + std::to_string(i) + ".yaml"), "listen: 127.0.0.1:" + std::to_string(ports_[i]) +
                                                                  "\nissuer: https://km.replicas\nstore: " + db +
                                                                  "\nmaster_key_file: master.key\n");
    }
  }

  std::string cli(const std::string& args) {
    CommandResult r = run_command(shell_quote(postern_binary()) + " keymanager --config " +
                                      shell_quote((dir_ / "km0.yaml").string()) + " " + args,
                                  60, false);
    EXPECT_EQ(r.exit_code, 0) << args << ": " << r.output;
    return r.output;
  }

  std::unique_ptr<Process> start(int i) {
    return std::make_unique<Process>(std::vector<std::string>{postern_binary(), "keymanager", "--config",
                                                              (dir_ / ("km" + std::to_string(i) + ".yaml")).string()},
                                     dir_ / ("km" + std::to_string(i) + ".log"));
  }

  bool ready(int i) {
    return eventually(15000ms, [&] {
      auto r = http_request(ports_[i], "GET", "/ready");
      return r && r->status == 200;
    });
  }

  std::optional<Response> token(int i, const std::string& id, const std::string& secret, const std::string& body) {
    return http_request(ports_[i], "POST", "/oauth2/token",
                        {{"Content-Type", "application/x-www-form-urlencoded"},
                         {"Authorization", "Basic " + base64(id + ":" + secret)}},
                        body);
  }

  static std::string base64(const std::string& in) {
    CommandResult r = run_command("printf %s " + shell_quote(in) + " | base64 -w0", 10, false);
    return r.output;
  }

  TempDir dir_;
  int ports_[2] = {0, 0};
};

TEST_F(KeymanagerReplicas, StartTogetherShareKeysAndHonourARefreshTokenOnce) {
  auto a = start(0);
  auto b = start(1);  // both create the schema and the first key on an empty database
  ASSERT_TRUE(ready(0)) << a->log();
  ASSERT_TRUE(ready(1)) << b->log();
  Json client = *Json::parse(cli("app create --name shop >/dev/null && " + shell_quote(postern_binary()) +
                                 " keymanager --config " + shell_quote((dir_ / "km0.yaml").string()) +
                                 " client create --app shop"));
  const std::string id = client["client_id"].str(), secret = client["client_secret"].str();
  run_command("printf 'long enough' | " + shell_quote(postern_binary()) + " keymanager --config " +
              shell_quote((dir_ / "km0.yaml").string()) + " user add --username alice");

  // A token from A names a key B publishes.
  auto t = token(0, id, secret, "grant_type=password&username=alice&password=long+enough");
  ASSERT_TRUE(t && t->status == 200) << (t ? t->body : "no answer");
  Json issued = *t->json();
  const std::string access = issued["access_token"].str();
  std::string header;
  ASSERT_TRUE(jose::base64url_decode(access.substr(0, access.find('.')), header));
  Json kid_header = *Json::parse(header);
  auto jwks = http_request(ports_[1], "GET", "/oauth2/jwks");
  ASSERT_TRUE(jwks);
  EXPECT_NE(jwks->body.find(kid_header["kid"].str()), std::string::npos) << jwks->body;

  // The refresh token from A, used at B: rotated. Used again at A: reuse, family revoked.
  const std::string r1 = issued["refresh_token"].str();
  auto at_b = token(1, id, secret, "grant_type=refresh_token&refresh_token=" + r1);
  ASSERT_TRUE(at_b && at_b->status == 200) << (at_b ? at_b->body : "no answer");
  const std::string r2 = (*at_b->json())["refresh_token"].str();
  auto reuse = token(0, id, secret, "grant_type=refresh_token&refresh_token=" + r1);
  ASSERT_TRUE(reuse);
  EXPECT_EQ((*reuse->json())["error"].str(), "invalid_grant");
  auto sibling = token(1, id, secret, "grant_type=refresh_token&refresh_token=" + r2);
  ASSERT_TRUE(sibling);
  EXPECT_EQ((*sibling->json())["error"].str(), "invalid_grant") << "the family must be revoked on both replicas";
  EXPECT_EQ(sanitizer_report(a->log()), "");
  EXPECT_EQ(sanitizer_report(b->log()), "");
}

// PostgreSQL goes away under a running key manager: requests get 503
// temporarily_unavailable with Retry-After (the process stays up), and once the
// database is back the same process issues tokens again.
TEST_F(KeymanagerReplicas, StoreOutageIsA503AndTheKeyManagerRecovers) {
  auto a = start(0);
  ASSERT_TRUE(ready(0)) << a->log();
  Json client = *Json::parse(cli("app create --name shop >/dev/null && " + shell_quote(postern_binary()) +
                                 " keymanager --config " + shell_quote((dir_ / "km0.yaml").string()) +
                                 " client create --app shop"));
  const std::string id = client["client_id"].str(), secret = client["client_secret"].str();
  auto before = token(0, id, secret, "grant_type=client_credentials");
  ASSERT_TRUE(before && before->status == 200) << (before ? before->body : "no answer");

  PostgresBackend::server()->stop();
  auto during = token(0, id, secret, "grant_type=client_credentials");
  auto ready_during = http_request(ports_[0], "GET", "/ready");
  PostgresBackend::server()->start();
  ASSERT_TRUE(ready_during);
  EXPECT_EQ(ready_during->status, 503) << "not ready while the store is down";
  ASSERT_TRUE(during) << "the key manager must answer while its store is down\n" << a->log();
  EXPECT_EQ(during->status, 503) << during->body;
  EXPECT_EQ((*during->json())["error"].str(), "temporarily_unavailable") << during->body;
  EXPECT_EQ(during->header("retry-after").value_or(""), "1");
  ASSERT_TRUE(a->alive()) << a->log();

  ASSERT_TRUE(eventually(15000ms, [&] {
    auto after = token(0, id, secret, "grant_type=client_credentials");
    return after && after->status == 200;
  })) << a->log();
  EXPECT_EQ(sanitizer_report(a->log()), "");
}

}  // namespace
}  // namespace postern::itest
