// A WSO2 API Microgateway 3.x project as its users wrote it, served by the real binary:
// Swagger 2.0 documents, OpenAPI `servers` as the backends, endpoint URLs with a query,
// policies.yaml tiers, and a requirement naming an undefined scheme.
#include <set>

#include "fixture.h"

namespace postern::itest {
namespace {

class Wso2Migration : public GatewayTest {
 protected:
  // Starts a gateway with `o`, after writing policies.yaml into its project when given.
  void start_with(GatewayOptions o, const std::string& policies = "") {
    start_echo();
    gw = std::make_unique<Gateway>(tmp / "project", std::move(o));
    if (!policies.empty()) write_file(gw->dir() / "policies.yaml", policies);
    std::string why;
    ASSERT_TRUE(gw->start(&why)) << why;
  }
  static std::string hostport(const Echo& e) { return "127.0.0.1:" + std::to_string(e.port()); }
  static int code_of(const Response& r) {
    auto j = r.json();
    return j ? int((*j)["code"].num()) : -1;
  }
};

TEST_F(Wso2Migration, SwaggerDocumentServedInFrontOfEcho) {
  start_echo();
  GatewayOptions o;
  o.apis["shop.yaml"] = "swagger: \"2.0\"\n"
                        "info: {title: Shop, version: \"2.1\"}\n"
                        "host: " + hostport(*echo) + "\n"
                        "basePath: /backend/v2\n"
                        "schemes: [http]\n"
                        "x-wso2-basePath: /shop/{version}\n"
                        "securityDefinitions:\n"
                        "  shop_auth: {type: oauth2, flow: application, tokenUrl: \"https://idp/token\", scopes: {}}\n"
                        "security: [{shop_auth: []}]\n"
                        "paths:\n"
                        "  /items/{id}:\n"
                        "    parameters: [{name: id, in: path, required: true, type: string}]\n"
                        "    get:\n"
                        "      x-wso2-disable-security: true\n"
                        "      responses: {\"200\": {description: ok}}\n"
                        "  /orders:\n"
                        "    post: {}\n";
  ASSERT_NO_FATAL_FAILURE(start_with(o));
  auto r = http_request(port(), "GET", "/shop/2.1/items/42?color=red");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  Json e = echo_of(*r);
  EXPECT_EQ(e["path"].str(), "/backend/v2/items/42");
  EXPECT_EQ(e["query"].str(), "color=red");
  EXPECT_EQ(echo_header(e, "host"), std::vector<std::string>{hostport(*echo)});
  // securityDefinitions + security apply: the other operation needs a bearer token.
  auto refused = http_request(port(), "POST", "/shop/2.1/orders", {}, "{}");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401) << refused->body;
  EXPECT_EQ(code_of(*refused), 900902);
}

TEST_F(Wso2Migration, ServersAreLoadBalancedBackendsWithVariablesAndAFixedQuery) {
  start_echo();
  Echo second(tmp.path());
  GatewayOptions o;
  o.apis["inv.yaml"] = "openapi: 3.0.3\n"
                       "info: {title: Inventory, version: \"1\"}\n"
                       "x-wso2-basePath: /inv\n"
                       "x-wso2-disable-security: true\n"
                       "servers:\n"
                       "  - url: \"http://127.0.0.1:{port}/api?tenant=t1\"\n"
                       "    variables: {port: {default: \"" + std::to_string(echo->port()) + "\"}}\n"
                       "  - url: \"http://" + hostport(second) + "/api?tenant=t1\"\n"
                       "paths:\n"
                       "  /stock: {get: {}}\n";
  ASSERT_NO_FATAL_FAILURE(start_with(o));
  std::set<std::string> backends;
  for (int i = 0; i < 6; ++i) {
    // The client's own tenant is dropped: the endpoint's query is fixed.
    auto r = http_request(port(), "GET", "/inv/stock?tenant=evil&sku=7");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    Json e = echo_of(*r);
    EXPECT_EQ(e["path"].str(), "/api/stock");
    EXPECT_EQ(e["query"].str(), "tenant=t1&sku=7");
    backends.insert(echo_header(e, "host").at(0));
  }
  EXPECT_EQ(backends, (std::set<std::string>{hostport(*echo), hostport(second)}));
  auto plain = http_request(port(), "GET", "/inv/stock");
  ASSERT_TRUE(plain);
  EXPECT_EQ(echo_of(*plain)["query"].str(), "tenant=t1");
  second.process().stop();
  EXPECT_EQ(sanitizer_report(second.process().log()), "");
}

TEST_F(Wso2Migration, PoliciesYamlTiersAreEnforcedWith429) {
  start_echo();
  GatewayOptions o;
  o.apis["a.yaml"] = "openapi: 3.0.3\n"
                     "info: {title: A, version: \"1\"}\n"
                     "x-wso2-basePath: /a\n"
                     "x-wso2-disable-security: true\n"
                     "x-wso2-production-endpoints: {urls: [\"" + echo->url() + "\"]}\n"
                     "paths:\n"
                     "  /slow: {get: {x-wso2-throttling-tier: ThreePerDay}}\n"
                     "  /free: {get: {}}\n";
  // Day windows: a test never straddles one in practice, so the count is exact.
  ASSERT_NO_FATAL_FAILURE(start_with(o, "resourcePolicies:\n"
                                        "  - ThreePerDay:\n"
                                        "      count: 3\n"
                                        "      unitTime: 1\n"
                                        "      timeUnit: day\n"
                                        "subscriptionPolicies:\n"
                                        "  - Gold: {count: 5000, unitTime: 1, timeUnit: min}\n"));
  for (int i = 0; i < 3; ++i) {
    auto r = http_request(port(), "GET", "/a/slow");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->header("ratelimit-limit").value_or(""), "3");
  }
  auto r = http_request(port(), "GET", "/a/slow");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429) << r->body;
  EXPECT_EQ(code_of(*r), 900802) << r->body;
  EXPECT_EQ(r->header("ratelimit-policy").value_or("").substr(0, 8), "3;w=8640");
  auto free = http_request(port(), "GET", "/a/free");
  ASSERT_TRUE(free);
  EXPECT_EQ(free->status, 200);
}

TEST_F(Wso2Migration, UndefinedSchemeIsOAuth2AndValidateWarns) {
  start_echo();
  GatewayOptions o;
  o.apis["a.yaml"] = "openapi: 3.0.3\n"
                     "info: {title: A, version: \"1\"}\n"
                     "x-wso2-basePath: /a\n"
                     "x-wso2-production-endpoints: {urls: [\"" + echo->url() + "\"]}\n"
                     "security: [{default: []}]\n"
                     "paths:\n"
                     "  /x: {get: {}}\n";
  Gateway g(tmp / "validated", o);
  g.write_project();
  auto v = run_command(shell_quote(postern_binary()) + " validate " + shell_quote(g.dir().string()) + " 2>&1");
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_NE(v.output.find("apis/a.yaml:5:13: warning: security scheme 'default' is not defined in "
                          "components.securitySchemes; Postern treats it as OAuth2, as WSO2 does"),
            std::string::npos)
      << v.output;
  auto strict =
      run_command(shell_quote(postern_binary()) + " validate --strict " + shell_quote(g.dir().string()) + " 2>&1");
  EXPECT_EQ(strict.exit_code, 1) << strict.output;
  ASSERT_NO_FATAL_FAILURE(start_with(o));
  auto r = http_request(port(), "GET", "/a/x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << r->body;
  EXPECT_EQ(code_of(*r), 900902);
}

// `postern import-wso2` through the real binary: a WSO2 project and its micro-gw.conf become
// a project that `postern run` serves, with the policies.yaml tier enforced.
TEST_F(Wso2Migration, ImportedProjectIsServed) {
  start_echo();
  const fs::path mgw = tmp / "mgw";
  const int http = free_port();
  write_file(mgw / "api_definitions" / "orders.yaml",
             "openapi: 3.0.0\ninfo: {title: Orders, version: \"1.0.0\"}\n"
             "x-wso2-basePath: /orders/{version}\nx-wso2-disable-security: true\n"
             "servers: [{url: \"" + echo->url() + "/api\"}]\n"
             "paths:\n  /orders: {get: {x-wso2-throttling-tier: TwoPerDay}}\n");
  write_file(mgw / "policies.yaml", "resourcePolicies:\n  - TwoPerDay: {count: 2, unitTime: 1, timeUnit: day}\n");
  write_file(mgw / "interceptors" / "audit.bal", "function audit() {}\n");
  write_file(mgw / "conf" / "micro-gw.conf", "[listenerConfig]\nhost = \"127.0.0.1\"\nhttpPort = " +
                                                 std::to_string(http) + "\n[http2]\nenable = true\n");
  const fs::path out = tmp / "postern-project";
  auto imported = run_command(shell_quote(postern_binary()) + " import-wso2 " + shell_quote(mgw.string()) + " " +
                              shell_quote(out.string()) + " 2>&1");
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  EXPECT_NE(imported.output.find("interceptors/audit.bal: interceptors are Ballerina or Java code"),
            std::string::npos)
      << imported.output;
  EXPECT_NE(imported.output.find("micro-gw.conf:5:10 [http2] enable: HTTP/2 is not supported"), std::string::npos)
      << imported.output;
  EXPECT_NE(imported.output.find("ok: 1 API, 1 route (project "), std::string::npos) << imported.output;

  // The admin port written by the import is WSO2-independent (9091); give it a free one here.
  std::string yaml = read_file(out / "postern.yaml");
  size_t at = yaml.find("127.0.0.1:9091");
  ASSERT_NE(at, std::string::npos) << yaml;
  const int admin = free_port();
  yaml.replace(at, 14, "127.0.0.1:" + std::to_string(admin));
  write_file(out / "postern.yaml", yaml);
  Process gateway({postern_binary(), "run", out.string()}, tmp / "imported.log");
  ASSERT_TRUE(eventually(20000ms, [&] {
    auto r = http_request(admin, "GET", "/ready");
    return r && r->status == 200;
  })) << gateway.log();
  for (int i = 0; i < 2; ++i) {
    auto r = http_request(http, "GET", "/orders/1.0.0/orders");
    ASSERT_TRUE(r) << gateway.log();
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(echo_of(*r)["path"].str(), "/api/orders");
  }
  auto refused = http_request(http, "GET", "/orders/1.0.0/orders");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  gateway.signal(SIGTERM);
  auto st = gateway.wait_exit(15000ms);
  ASSERT_TRUE(st);
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << describe_status(*st);
  EXPECT_EQ(sanitizer_report(gateway.log()), "");
}

}  // namespace
}  // namespace postern::itest
