// HTTP Basic users and API keys (static, hashed in postern.yaml; and WSO2-style JWT keys)
// end to end through the real gateway.
#include <sys/socket.h>

#include "fixture.h"

namespace postern::itest {
namespace {

class Credentials : public GatewayTest {
 protected:
  void start(const std::string& workers = "2") {
    auto h = run_command("printf '%s\\n' 's3cret-pass' | " + shell_quote(postern_binary()) + " hash-password", 60,
                         false);
    ASSERT_EQ(h.exit_code, 0) << h.output;
    std::string hash = h.output;
    while (!hash.empty() && hash.back() == '\n') hash.pop_back();
    ASSERT_EQ(hash.rfind("$scrypt$", 0), 0u) << hash;
    key_sha_ = sha256_hex("partner-key-0123456789abcdef");
    auto k = run_command("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " +
                         shell_quote((tmp / "keys.key").string()) + " && openssl pkey -in " +
                         shell_quote((tmp / "keys.key").string()) + " -pubout -out " +
                         shell_quote((tmp / "keys.pub").string()));
    ASSERT_EQ(k.exit_code, 0) << k.output;
    start_echo();
    GatewayOptions o;
    o.workers = workers;
    o.security =
        "  users:\n"
        "    - {username: alice, password_hash: '" +
        hash +
        "', scopes: [reports]}\n"
        "  api_keys:\n"
        "    - {name: partner-a, sha256: " +
        key_sha_ +
        ", apis: ['Reports:1']}\n"
        "  issuers:\n"
        "    - {name: keys, issuer: api-key-issuer, certificate: " +
        (tmp / "keys.pub").string() + "}\n";
    o.apis["reports.yaml"] =
        "openapi: 3.0.0\ninfo: {title: Reports, version: '1'}\nx-wso2-basePath: /reports\n"
        "x-wso2-production-endpoints: {urls: [\"" +
        echo->url() +
        "\"]}\n"
        "components:\n  securitySchemes:\n"
        "    basic: {type: http, scheme: basic}\n"
        "    hkey: {type: apiKey, in: header, name: X-API-Key}\n"
        "    qkey: {type: apiKey, in: query, name: api_key}\n"
        "paths:\n"
        "  /basic: {get: {security: [{basic: []}]}}\n"
        "  /key: {get: {security: [{hkey: []}, {qkey: []}]}}\n";
    o.apis["other.yaml"] =
        "openapi: 3.0.0\ninfo: {title: Other, version: '1'}\nx-wso2-basePath: /other\n"
        "x-wso2-production-endpoints: {urls: [\"" +
        echo->url() +
        "\"]}\n"
        "x-wso2-application-security: {security-types: [api_key]}\n"
        "paths:\n  /x: {get: {}}\n";
    ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  }

  std::optional<Response> get(const std::string& target, std::vector<std::pair<std::string, std::string>> h = {}) {
    return http_request(port(), "GET", target, h);
  }
  static int code_of(const Response& r) {
    auto j = r.json();
    return j ? int((*j)["code"].num()) : -1;
  }
  std::string key_sha_;
};

TEST_F(Credentials, BasicUser) {
  ASSERT_NO_FATAL_FAILURE(start());
  // alice:s3cret-pass
  auto r = get("/reports/basic", {{"Authorization", "Basic YWxpY2U6czNjcmV0LXBhc3M="}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(echo_header(echo_of(*r), "authorization").empty()) << "credentials reached the backend";
  r = get("/reports/basic", {{"Authorization", "Basic YWxpY2U6czNjcmV0LXBhc3M="}});  // cached check
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  for (const char* bad :
       {"Basic YWxpY2U6d3Jvbmc=" /* alice:wrong */, "Basic Ym9iOnMzY3JldC1wYXNz" /* bob:… */, "Basic !!!"}) {
    r = get("/reports/basic", {{"Authorization", bad}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << bad;
    EXPECT_EQ(code_of(*r), 900901) << r->body;
    EXPECT_NE(r->header("www-authenticate").value_or("").find("Basic"), std::string::npos);
  }
  r = get("/reports/basic");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(code_of(*r), 900902);
}

// Password checks (scrypt, ~50 ms each) run off the worker: with one worker busy with four
// fresh wrong passwords, a request that needs no password is answered before the last of
// them (with the check on the worker it would wait behind all four).
TEST_F(Credentials, PasswordChecksDoNotBlockTheWorker) {
  ASSERT_NO_FATAL_FAILURE(start("1"));
  const char* wrong[] = {"YWxpY2U6d3JvbmcxMQ==", "YWxpY2U6d3JvbmcxMg==", "YWxpY2U6d3JvbmcxMw==",
                         "YWxpY2U6d3JvbmcxNA=="};  // alice:wrong11 … alice:wrong14
  std::vector<std::unique_ptr<Conn>> basic;
  for (const char* w : wrong) {
    basic.push_back(std::make_unique<Conn>(port()));
    ASSERT_TRUE(basic.back()->ok());
    ASSERT_TRUE(
        basic.back()->send(make_request("GET", "/reports/basic", {{"Authorization", std::string("Basic ") + w}})));
  }
  Conn other(port());
  ASSERT_TRUE(other.send(make_request("GET", "/reports/key", {{"X-API-Key", "partner-key-0123456789abcdef"}})));
  auto r = other.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  // The last password check has not finished yet: nothing has arrived on its connection.
  char byte;
  ssize_t n = ::recv(basic.back()->fd(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  EXPECT_EQ(n, -1) << "the 4th password check finished before an API-key request on the same worker";
  for (auto& c : basic) {
    auto b = c->read_response();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status, 401);
  }
}

TEST_F(Credentials, StaticApiKeyInHeaderOrQuery) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto r = get("/reports/key", {{"X-API-Key", "partner-key-0123456789abcdef"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(echo_header(echo_of(*r), "x-api-key").empty()) << "the key reached the backend";
  r = get("/reports/key?a=1&api_key=partner-key-0123456789abcdef&b=2");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(echo_of(*r)["query"].str(), "a=1&b=2") << "the key reached the backend in the query";
  r = get("/reports/key", {{"X-API-Key", "wrong-key"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(code_of(*r), 900901);
  // The key is limited to the Reports API.
  r = get("/other/x", {{"apikey", "partner-key-0123456789abcdef"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(code_of(*r), 900908) << r->body;
}

TEST_F(Credentials, JwtApiKeyWithAllowedApis) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto mint = [&](const std::string& allowed) {
    auto t = run_command(shell_quote(postern_binary()) + " token --issuer api-key-issuer --key " +
                             shell_quote((tmp / "keys.key").string()) + " --allowed-api " + allowed,
                         30, false);
    EXPECT_EQ(t.exit_code, 0) << t.output;
    std::string s = t.output;
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  };
  auto r = get("/other/x", {{"apikey", mint("Other:1")}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  r = get("/other/x", {{"apikey", mint("Reports:1")}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(code_of(*r), 900908) << r->body;
}

}  // namespace
}  // namespace postern::itest
