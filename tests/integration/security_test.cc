// Authentication end to end: JWTs minted by `postern token` with keys made by openssl,
// checked by the real gateway in front of the echo backend.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "fixture.h"

namespace postern::itest {
namespace {

class Security : public GatewayTest {
 protected:
  void SetUp() override {
    key_ = tmp / "jwt.key";
    pub_ = tmp / "jwt.pub.pem";
    ASSERT_EQ(make_signing_key(key_, pub_), "");
  }

  // A project whose Shop API is secured (default OAuth2; POST needs write scope;
  // /public is opted out; sandbox endpoints go to <echo>/sandbox).
  void start(const std::string& extra_security = "", bool validate_subscription = true) {
    start_echo();
    GatewayOptions o;
    o.security =
        "  issuers:\n"
        "    - name: test\n"
        "      issuer: test-issuer\n"
        "      certificate: " +
        pub_.string() +
        "\n"
        "      algorithms: [RS256]\n"
        "      validate_subscription: " +
        (validate_subscription ? "true" : "false") + "\n" + extra_security;
    o.apis["shop.yaml"] =
        "openapi: 3.0.0\n"
        "info: {title: Shop, version: '2.0'}\n"
        "x-wso2-basePath: /shop/{version}\n"
        "x-wso2-production-endpoints: {urls: [\"" +
        echo->url() +
        "\"]}\n"
        "x-wso2-sandbox-endpoints: {urls: [\"" +
        echo->url() +
        "/sandbox\"]}\n"
        "components:\n"
        "  securitySchemes:\n"
        "    oauth: {type: oauth2, flows: {}}\n"
        "paths:\n"
        "  /items:\n"
        "    get: {}\n"
        "    post: {security: [{oauth: [shop:write, shop:admin]}]}\n"
        "  /public: {get: {x-wso2-disable-security: true}}\n";
    ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  }

  std::string token(const std::string& args) { return mint_token(key_, "test-issuer", args); }

  std::optional<Response> get(const std::string& path, const std::string& bearer, const std::string& method = "GET") {
    std::vector<std::pair<std::string, std::string>> h;
    if (!bearer.empty()) h.push_back({"Authorization", "Bearer " + bearer});
    return http_request(port(), method, path, h, method == "POST" ? "{}" : "");
  }

  static int code_of(const Response& r) {
    auto j = r.json();
    return j ? int((*j)["code"].num()) : -1;
  }

  fs::path key_, pub_;
};

TEST_F(Security, MissingTokenIs401WithChallenge) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto r = get("/shop/2.0/items", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(code_of(*r), 900902) << r->body;
  EXPECT_EQ(r->header("www-authenticate").value_or(""), "Bearer realm=\"postern\"");
}

TEST_F(Security, ValidTokenReachesBackendWithoutTheCredential) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::string t = token("--api Shop:2.0");
  for (int i = 0; i < 3; ++i) {  // the 2nd and 3rd come from the verified-token cache
    auto r = get("/shop/2.0/items", t);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    auto e = echo_of(*r);
    EXPECT_EQ(e["path"].str(), "/items");
    EXPECT_TRUE(echo_header(e, "authorization").empty()) << "the caller's token reached the backend";
  }
}

TEST_F(Security, InvalidTokensAre401AndLookAlike) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::string good = token("--api Shop:2.0");
  std::string tampered = good;
  size_t dot = tampered.find('.');
  tampered[dot + 5] = tampered[dot + 5] == 'A' ? 'B' : 'A';  // payload byte flipped
  std::string other_issuer = run_command(shell_quote(postern_binary()) + " token --key " + shell_quote(key_.string()) +
                                             " --issuer someone-else --api Shop:2.0",
                                         30, false)
                                 .output;
  while (!other_issuer.empty() && other_issuer.back() == '\n') other_issuer.pop_back();
  // alg "none": header {"alg":"none"} with the real payload and no signature.
  std::string none = "eyJhbGciOiJub25lIn0" + good.substr(dot, good.rfind('.') - dot) + ".";
  std::string kid_trick = "eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLy4uL2V0Yy9wYXNzd2QifQ" +
                          good.substr(dot);  // kid "../../etc/passwd", original signature
  std::string first_body;
  for (const std::string& bad : {tampered, other_issuer, none, kid_trick, std::string("not.a.jwt")}) {
    auto r = get("/shop/2.0/items", bad);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << bad;
    EXPECT_EQ(code_of(*r), 900901) << r->body;
    auto body = r->body;
    body = body.substr(0, body.find("\"description\""));
    if (first_body.empty()) first_body = body;
    EXPECT_EQ(body, first_body) << "rejections must not reveal why";
  }
}

TEST_F(Security, ExpiredTokenIs900903) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::string t = token("--api Shop:2.0 --lifetime=-120");
  auto r = get("/shop/2.0/items", t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(code_of(*r), 900903) << r->body;
}

TEST_F(Security, ScopesAnyOneSuffices) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto r = get("/shop/2.0/items", token("--api Shop:2.0 --scopes shop:read"), "POST");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(code_of(*r), 900910) << r->body;
  r = get("/shop/2.0/items", token("--api Shop:2.0 --scopes 'shop:read shop:admin'"), "POST");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(Security, SubscriptionRequiredWhenValidated) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto r = get("/shop/2.0/items", token("--api Other:2.0"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(code_of(*r), 900908) << r->body;
  r = get("/shop/2.0/items", token("--api 'Shop:*'"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(Security, SubscriptionNotCheckedWhenOff) {
  ASSERT_NO_FATAL_FAILURE(start("", false));
  auto r = get("/shop/2.0/items", token("--api Other:2.0"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(Security, DisabledSecurityIsOpen) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto r = get("/shop/2.0/public", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(Security, SandboxKeyUsesSandboxEndpoints) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto r = get("/shop/2.0/items", token("--api Shop:2.0 --keytype SANDBOX"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(echo_of(*r)["path"].str(), "/sandbox/items");
}

TEST_F(Security, RevokedJtiRejectedAfterReload) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::string t = token("--api Shop:2.0");
  auto r = get("/shop/2.0/items", t);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  // Read the jti from the payload, then revoke it.
  std::string id = jwt_payload(t)["jti"].str();
  ASSERT_FALSE(id.empty());
  std::string yaml = gw->config_yaml();
  yaml += "  revoked_jtis: [\"" + id + "\"]\n";
  write_file(gw->dir() / "postern.yaml", yaml);
  gw->process().signal(SIGHUP);
  EXPECT_TRUE(eventually(5000ms, [&] {
    auto again = get("/shop/2.0/items", t);
    return again && again->status == 401 && code_of(*again) == 900901;
  })) << "revoked token still accepted after reload";
}

TEST_F(Security, AdminRevocationRejectsACachedTokenAndSurvivesReload) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::string t = token("--api Shop:2.0");
  for (int i = 0; i < 4; ++i) {  // verified, then cached on whichever workers served it
    auto r = get("/shop/2.0/items", t);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
  }
  std::string jti = jwt_payload(t)["jti"].str();
  auto rv = http_request(gw->admin_port(), "POST", "/revoke?jti=" + jti);
  ASSERT_TRUE(rv);
  ASSERT_EQ(rv->status, 200) << rv->body;
  EXPECT_TRUE(eventually(3000ms, [&] {
    for (int i = 0; i < 4; ++i) {  // every worker must refuse it
      auto r = get("/shop/2.0/items", t);
      if (!r || r->status != 401 || code_of(*r) != 900901) return false;
    }
    return true;
  })) << "a revoked (cached) token was still accepted";
  gw->process().signal(SIGHUP);  // a reload keeps run-time revocations
  EXPECT_TRUE(eventually(3000ms, [&] { return gw->log().find("reloaded configuration") != std::string::npos; }));
  auto r = get("/shop/2.0/items", t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << "revocation lost on reload";
  auto bad = http_request(gw->admin_port(), "POST", "/revoke?jti=");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

TEST_F(Security, BackendJwtTellsTheBackendWhoCalled) {
  auto k = run_command("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " +
                       shell_quote((tmp / "gw.key").string()));
  ASSERT_EQ(k.exit_code, 0) << k.output;
  ASSERT_NO_FATAL_FAILURE(start("  backend_jwt: {key: " + (tmp / "gw.key").string() + ", issuer: my-gateway}\n"));
  std::string t = token("--api Shop:2.0 --sub alice --scopes shop:read --app-name shopper");
  std::string forged = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.";
  auto r = http_request(port(), "GET", "/shop/2.0/items",
                        {{"Authorization", "Bearer " + t}, {"X-JWT-Assertion", forged}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto got = echo_header(echo_of(*r), "x-jwt-assertion");
  ASSERT_EQ(got.size(), 1u) << "exactly the gateway's assertion must reach the backend";
  ASSERT_NE(got[0], forged);
  Json claims = jwt_payload(got[0]);
  EXPECT_EQ(claims["iss"].str(), "my-gateway");
  EXPECT_EQ(claims["sub"].str(), "alice");
  EXPECT_EQ(claims["http://wso2.org/claims/applicationname"].str(), "shopper");
  EXPECT_EQ(claims["scope"].str(), "shop:read");
  // An open route never forwards a client's forged assertion.
  r = http_request(port(), "GET", "/shop/2.0/public", {{"X-JWT-Assertion", forged}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_TRUE(echo_header(echo_of(*r), "x-jwt-assertion").empty());
}

// A backend that records every byte it receives and answers each request head with a
// small 200, keeping connections open: it shows exactly what the gateway sent upstream.
class RecordingBackend {
 public:
  RecordingBackend() {
    fd_ = listen_loopback(port_, 16);
    if (fd_ < 0) return;
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~RecordingBackend() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (thread_.joinable()) thread_.join();
    for (auto& t : conns_) t.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string received() {
    std::lock_guard lock(mu_);
    return bytes_;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      conns_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    timeval tv{10, 0};
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string pending;
    char buf[4096];
    while (!stop_) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      {
        std::lock_guard lock(mu_);
        bytes_.append(buf, size_t(n));
      }
      pending.append(buf, size_t(n));
      size_t end;
      while ((end = pending.find("\r\n\r\n")) != std::string::npos) {  // bodiless GETs only
        pending.erase(0, end + 4);
        static constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        if (::send(c, kOk.data(), kOk.size(), MSG_NOSIGNAL) < 0) break;
      }
    }
    ::close(c);
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::thread> conns_;
  std::mutex mu_;
  std::string bytes_;
};

TEST_F(Security, ReloadThatDisablesTheBackendJwtLeavesNoAssertionOnAKeptAliveConnection) {
  RecordingBackend backend;
  auto k = run_command("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " +
                       shell_quote((tmp / "gw.key").string()));
  ASSERT_EQ(k.exit_code, 0) << k.output;
  GatewayOptions o;
  const std::string issuers = "  issuers:\n    - {name: test, issuer: test-issuer, certificate: " + pub_.string() +
                              ", algorithms: [RS256]}\n";
  o.security = issuers + "  backend_jwt: {key: " + (tmp / "gw.key").string() + ", issuer: my-gateway}\n";
  o.workers = "1";
  o.apis["shop.yaml"] =
      "openapi: 3.0.0\ninfo: {title: Shop, version: '2.0'}\nx-wso2-basePath: /shop/{version}\n"
      "x-wso2-production-endpoints: {urls: [\"" +
      backend.url() + "\"]}\npaths:\n  /items: {get: {}}\n";
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  const std::string t = token("--api Shop:2.0 --sub alice");
  Conn c(port());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send(make_request("GET", "/shop/2.0/items", {{"Authorization", "Bearer " + t}})));
  auto r = c.read_response();
  ASSERT_TRUE(r) << c.error();
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string first = backend.received();
  const size_t at = first.find("x-jwt-assertion: ");
  ASSERT_NE(at, std::string::npos) << first;
  const std::string assertion = first.substr(at + 17, first.find("\r\n", at) - at - 17);
  ASSERT_GT(assertion.size(), 40u);

  // The same project without the backend JWT, reloaded while the client stays connected.
  std::string yaml = gw->config_yaml();
  const size_t line = yaml.find("  backend_jwt:");
  ASSERT_NE(line, std::string::npos);
  yaml.erase(line, yaml.find('\n', line) + 1 - line);
  write_file(gw->dir() / "postern.yaml", yaml);
  gw->process().signal(SIGHUP);
  ASSERT_TRUE(eventually(5000ms, [&] { return gw->log().find("reloaded configuration") != std::string::npos; }));

  ASSERT_TRUE(c.send(make_request("GET", "/shop/2.0/items", {{"Authorization", "Bearer " + t}})));
  r = c.read_response();
  ASSERT_TRUE(r) << c.error();
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string second = backend.received().substr(first.size());
  ASSERT_NE(second.find("GET /items"), std::string::npos) << second;
  EXPECT_EQ(second.find(assertion), std::string::npos) << "the previous caller's assertion went upstream:\n" << second;
  EXPECT_EQ(second.find(assertion.substr(0, 20)), std::string::npos) << second;
  EXPECT_EQ(second.find("\r\n: "), std::string::npos) << "a header line without a name went upstream:\n" << second;
  EXPECT_EQ(second.find("jwt-assertion"), std::string::npos) << second;
}

}  // namespace
}  // namespace postern::itest
