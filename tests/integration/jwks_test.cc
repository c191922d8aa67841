// Keys from a JWKS URL: fetched at start, a new kid picked up after the IdP rotates, last
// good keys kept while the IdP is down. The IdP is `openssl s_server -WWW` serving a file
// over HTTPS with a test CA, so the fetch's TLS verification is exercised too.
#include "fixture.h"

namespace postern::itest {
namespace {

class Jwks : public GatewayTest {
 protected:
  void SetUp() override {
    idp_dir_ = tmp / "idp";
    fs::create_directories(idp_dir_);
    pki_ = make_pki(tmp / "idp-pki", "idp-");
    for (const char* k : {"a", "b"}) {
      auto r = run_command("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " +
                           shell_quote((tmp / (std::string(k) + ".key")).string()));
      ASSERT_EQ(r.exit_code, 0) << r.output;
    }
  }

  std::string key(const char* k) { return (tmp / (std::string(k) + ".key")).string(); }

  // Publishes a JWKS with the given kids (each key file is named after its kid).
  void publish(std::vector<const char*> kids) {
    std::string cmd = shell_quote(postern_binary()) + " jwks";
    for (const char* k : kids) cmd += " --key " + shell_quote(key(k)) + " --kid " + k;
    auto r = run_command(cmd, 30, false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    write_file(idp_dir_ / "jwks.json", r.output);
  }

  void start_idp() {
    idp_port_ = free_port();
    idp_ = std::make_unique<Process>(std::vector<std::string>{"/usr/bin/openssl", "s_server", "-WWW", "-quiet",
                                                              "-accept", std::to_string(idp_port_), "-cert",
                                                              pki_.server_cert.string(), "-key",
                                                              pki_.server_key.string()},
                                     tmp / "idp.log", idp_dir_);
    ASSERT_TRUE(eventually(5000ms, [&] { return port_open(idp_port_); })) << idp_->log();
  }

  void start_gw() {
    start_echo();
    GatewayOptions o;
    o.upstream_tls = "{ca_file: " + pki_.ca_cert.string() + "}";
    o.security =
        "  issuers:\n"
        "    - name: idp\n"
        "      issuer: idp-issuer\n"
        "      jwks_url: https://127.0.0.1:" +
        std::to_string(idp_port_) +
        "/jwks.json\n"
        "      jwks_refresh: " +
        refresh_ +
        "\n"
        "      jwks_min_refetch: 200ms\n";
    o.apis["shop.yaml"] =
        "openapi: 3.0.0\ninfo: {title: Shop, version: '1'}\nx-wso2-basePath: /shop\n"
        "x-wso2-production-endpoints: {urls: [\"" +
        echo->url() +
        "\"]}\n"
        "paths:\n  /items: {get: {}}\n";
    ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  }

  // A token signed with key file `k`, with kid `kid` (default: the same name).
  std::string token(const char* k, const char* kid = nullptr) {
    auto r = run_command(shell_quote(postern_binary()) + " token --issuer idp-issuer --key " + shell_quote(key(k)) +
                             " --kid " + (kid ? kid : k),
                         30, false);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::string t = r.output;
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return t;
  }

  int status(const std::string& t) {
    auto r = http_request(port(), "GET", "/shop/items", {{"Authorization", "Bearer " + t}});
    return r ? r->status : -1;
  }

  std::string refresh_ = "1h";
  fs::path idp_dir_;
  Pki pki_;
  int idp_port_ = 0;
  std::unique_ptr<Process> idp_;
};

TEST_F(Jwks, FetchedAtStartRotatedOnUnknownKidKeptWhenIdpDown) {
  ASSERT_NO_FATAL_FAILURE(publish({"a"}));
  ASSERT_NO_FATAL_FAILURE(start_idp());
  ASSERT_NO_FATAL_FAILURE(start_gw());
  std::string ta = token("a");
  EXPECT_TRUE(eventually(5000ms, [&] { return status(ta) == 200; })) << "key a from the JWKS was not used";

  // The IdP rotates: b is added. A token signed with b names an unknown kid, which makes
  // the gateway refetch (rate-limited) and then accept it, without a reload.
  ASSERT_NO_FATAL_FAILURE(publish({"a", "b"}));
  std::string tb = token("b");
  EXPECT_TRUE(eventually(5000ms, [&] { return status(tb) == 200; })) << "the rotated key b was never picked up";
  EXPECT_EQ(status(ta), 200) << "key a must stay valid while the JWKS still has it";

  // The IdP goes away. An unknown kid makes the gateway try to refetch, which fails; the
  // last good keys stay in force (a fresh b token still verifies).
  idp_->stop();
  std::string unknown = token("a", "zzz");
  EXPECT_TRUE(eventually(5000ms, [&] {
    EXPECT_EQ(status(unknown), 401);  // each try may ask for a refetch (rate-limited)
    return gw->log().find("cannot fetch JWKS") != std::string::npos;
  })) << "no refetch was attempted";
  EXPECT_EQ(status(token("b")), 200) << "the last good keys were dropped when the IdP went down";
}

TEST_F(Jwks, RemovedKeyHonouredUntilTheOldJwksWouldHaveExpired) {
  refresh_ = "2s";
  ASSERT_NO_FATAL_FAILURE(publish({"a", "b"}));
  ASSERT_NO_FATAL_FAILURE(start_idp());
  ASSERT_NO_FATAL_FAILURE(start_gw());
  ASSERT_TRUE(eventually(5000ms, [&] { return status(token("b")) == 200; }));
  // The IdP drops b. Tokens signed with b just before the rotation keep working for one
  // refresh period (the lifetime of the JWKS that had b), then b is gone.
  ASSERT_NO_FATAL_FAILURE(publish({"a"}));
  EXPECT_EQ(status(token("a", "zzz")), 401);  // makes the gateway refetch now
  sleep_for(500ms);
  EXPECT_EQ(status(token("b")), 200) << "a key removed by the IdP was dropped at once";
  EXPECT_TRUE(eventually(10000ms, [&] { return status(token("b")) == 401; }))
      << "a removed key kept verifying new tokens after the old JWKS expired";
  EXPECT_EQ(status(token("a")), 200);
}

}  // namespace
}  // namespace postern::itest
