#include "config/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/address.h"
#include "config/yaml_reader.h"
#include "project_fixture.h"

namespace postern::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ProjectTest;

using Kind = router::MatchResult::Kind;

const Route* match(const Snapshot& s, router::Method m, std::string_view path, router::MatchResult* out = nullptr) {
  router::MatchResult r;
  s.route_table.match(m, path, r);
  if (out) *out = r;
  return r.kind == Kind::kMatched ? &s.routes[r.route_id] : nullptr;
}

// An OpenAPI document with API-level endpoints and the given paths block.
std::string api_doc(const std::string& base, const std::string& paths, const std::string& title = "Pets") {
  return "openapi: 3.0.3\n"
         "info: {title: " +
         title +
         ", version: 1.0.0}\n"
         "x-wso2-basePath: " +
         base +
         "\n"
         "x-wso2-production-endpoints: {urls: [\"http://127.0.0.1:8080\"]}\n"
         "paths:\n" +
         paths;
}

TEST(Diagnostic, Format) {
  EXPECT_EQ((Diagnostic{"a.yaml", 3, 7, "bad"}).format(), "a.yaml:3:7: bad");
  EXPECT_EQ((Diagnostic{"a.yaml", 0, 0, "bad"}).format(), "a.yaml: bad");
}

TEST(Durations, Parse) {
  using detail::parse_duration;
  EXPECT_EQ(parse_duration("250ms"), Millis(250));
  EXPECT_EQ(parse_duration("10s"), Millis(10'000));
  EXPECT_EQ(parse_duration("2m"), Millis(120'000));
  EXPECT_EQ(parse_duration("1h"), Millis(3'600'000));
  EXPECT_EQ(parse_duration("1500"), Millis(1500));
  EXPECT_FALSE(parse_duration("10x"));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_EQ(detail::parse_size("64KiB"), 65536u);
  EXPECT_EQ(detail::parse_size("2MiB"), 2u << 20);
  EXPECT_FALSE(detail::parse_size("2MB"));
}

TEST(EndpointUrl, Parse) {
  Endpoint e;
  ASSERT_TRUE(parse_endpoint_url("https://orders-a:8443/v2/", e));
  EXPECT_TRUE(e.tls);
  EXPECT_EQ(e.host, "orders-a");
  EXPECT_EQ(e.port, 8443);
  EXPECT_EQ(e.host_header, "orders-a:8443");
  EXPECT_EQ(e.base_path, "/v2");
  ASSERT_TRUE(parse_endpoint_url("http://backend", e));
  EXPECT_EQ(e.port, 80);
  EXPECT_EQ(e.host_header, "backend");
  EXPECT_EQ(e.base_path, "");
  ASSERT_TRUE(parse_endpoint_url("http://[::1]:8080/", e));
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(e.host_header, "[::1]:8080");
  EXPECT_EQ(parse_endpoint_url("ftp://x", e).message(),
            "endpoint URL 'ftp://x' must start with http:// or https://; expected http://host[:port][/path] or "
            "https://host[:port][/path]");
  EXPECT_FALSE(parse_endpoint_url("http://", e));
  EXPECT_FALSE(parse_endpoint_url("http://h:0", e));
  EXPECT_FALSE(parse_endpoint_url("http://h:99999", e));
  ASSERT_TRUE(parse_endpoint_url("http://h/x/?y=1&z=a%20b&", e));
  EXPECT_EQ(e.base_path, "/x");
  EXPECT_EQ(e.query, "y=1&z=a%20b");
  ASSERT_TRUE(parse_endpoint_url("http://h:81?y=1", e));
  EXPECT_EQ(e.host_header, "h:81");
  EXPECT_EQ(e.base_path, "");
  EXPECT_EQ(e.query, "y=1");
  ASSERT_TRUE(parse_endpoint_url("http://h/", e));
  EXPECT_EQ(e.query, "");
  EXPECT_FALSE(parse_endpoint_url("http://h/x#f", e));
  EXPECT_FALSE(parse_endpoint_url("http://h/x?y=1#f", e));
  EXPECT_FALSE(parse_endpoint_url("http://u:p@h/", e));
}

TEST(HostPort, Parse) {
  HostPort hp;
  ASSERT_TRUE(parse_host_port("[::1]:9090", false, hp));
  EXPECT_EQ(hp.host, "::1");
  EXPECT_EQ(hp.port, 9090);
  EXPECT_FALSE(parse_host_port("::1:9090", false, hp));
  EXPECT_FALSE(parse_host_port(":9090", false, hp));
  EXPECT_FALSE(parse_host_port("h:0", false, hp));
  EXPECT_TRUE(parse_host_port("h:0", true, hp));
  std::vector<SocketAddress> addrs;
  ASSERT_TRUE(resolve(HostPort{"127.0.0.1", 8080}, false, addrs));
  EXPECT_EQ(addrs.at(0).text, "127.0.0.1:8080");
}

TEST_F(ProjectTest, Quickstart) {
  auto r = load_project(std::filesystem::path(POSTERN_SOURCE_DIR) / "examples" / "quickstart");
  ASSERT_TRUE(r.snapshot) << (r.diagnostics.empty() ? "" : r.diagnostics[0].format());
  const Snapshot& s = *r.snapshot;
  ASSERT_EQ(s.apis.size(), 2u);
  EXPECT_EQ(s.apis[0]->name, "Orders");  // orders.json sorts before petstore.yaml
  EXPECT_EQ(s.apis[0]->base_path, "/orders/v2");
  EXPECT_EQ(s.apis[1]->base_path, "/petstore/1.0.0");
  EXPECT_EQ(s.routes.size(), 8u);
  EXPECT_EQ(s.gateway.listeners.at(0).address.text, "127.0.0.1:9090");
  ASSERT_TRUE(s.gateway.admin);
  EXPECT_EQ(s.gateway.admin->text, "127.0.0.1:9091");

  router::MatchResult m;
  const Route* pet = match(s, router::Method::kGet, "/petstore/1.0.0/pets/7", &m);
  ASSERT_NE(pet, nullptr);
  EXPECT_EQ(pet->resource_path, "/pets/{petId}");
  EXPECT_EQ(pet->api, s.apis[1].get());
  EXPECT_EQ(m.params[0].value, "7");
  EXPECT_EQ(pet->production->endpoints.at(0).host_header, "127.0.0.1:8080");
  EXPECT_EQ(pet->production->endpoints.at(0).addresses.at(0).text, "127.0.0.1:8080");

  const Route* inv = match(s, router::Method::kGet, "/petstore/1.0.0/store/inventory");
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(inv->production->endpoints.at(0).base_path, "/inventory-service");
  EXPECT_EQ(inv->production->timeout, Millis(5000));

  const Route* order = match(s, router::Method::kPost, "/orders/v2/orders");
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->production->name, "ordersBackend");
  EXPECT_EQ(order->production->type, EndpointGroup::Type::kFailover);
  // A named endpoint group is shared, not copied per route.
  EXPECT_EQ(order->production, match(s, router::Method::kGet, "/orders/v2/orders/1")->production);
  EXPECT_THAT(order->source, HasSubstr("apis/orders.json:13:7"));
}

TEST_F(ProjectTest, GatewayAllKeys) {
  write("certs/server.pem", "x");
  write("certs/server.key", "x");
  write("ca.pem", "x");
  write("postern.yaml", R"(listeners:
  - {name: http, address: "127.0.0.1:9090"}
  - {name: https, address: "[::1]:9095", tls: {cert: certs/server.pem, key: certs/server.key}}
admin: {address: "127.0.0.1:9091"}
workers: 4
apis: apis/
limits:
  max_header_bytes: 16KiB
  max_uri_bytes: 2048
  max_body_bytes: 10MiB
  header_timeout: 5s
  idle_timeout: 2m
  body_timeout: 250ms
  upstream_connect_timeout: 1500
  upstream_response_timeout: 30s
  upstream_idle_timeout: 1m
  drain_timeout: 1h
  max_idle_upstream_per_endpoint: 8
access_log: {enabled: true, path: logs/access.log}
upstream_tls: {ca_file: ca.pem, verify: false}
forwarding: {trusted_proxies: ["10.0.0.0/8", "::1"], preserve_host: true, allow_encoded_slash: true}
node_id: gw-1
)");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << errors(r).at(0);
  const GatewayConfig& g = r.snapshot->gateway;
  ASSERT_EQ(g.listeners.size(), 2u);
  EXPECT_EQ(g.listeners[1].name, "https");
  EXPECT_EQ(g.listeners[1].address.text, "[::1]:9095");
  EXPECT_EQ(g.listeners[1].address_text, "[::1]:9095");
  ASSERT_TRUE(g.listeners[1].tls);
  EXPECT_EQ(g.listeners[1].tls->cert_file, root_ / "proj/certs/server.pem");
  EXPECT_FALSE(g.listeners[0].tls);
  EXPECT_EQ(g.workers, 4u);
  EXPECT_EQ(g.apis_dir, root_ / "proj/apis");
  EXPECT_EQ(g.limits.max_header_bytes, 16384u);
  EXPECT_EQ(g.limits.max_uri_bytes, 2048u);
  EXPECT_EQ(g.limits.max_body_bytes, 10u << 20);
  EXPECT_EQ(g.limits.header_timeout, Millis(5000));
  EXPECT_EQ(g.limits.idle_timeout, Millis(120'000));
  EXPECT_EQ(g.limits.body_timeout, Millis(250));
  EXPECT_EQ(g.limits.upstream_connect_timeout, Millis(1500));
  EXPECT_EQ(g.limits.upstream_response_timeout, Millis(30'000));
  EXPECT_EQ(g.limits.upstream_idle_timeout, Millis(60'000));
  EXPECT_EQ(g.limits.drain_timeout, Millis(3'600'000));
  EXPECT_EQ(g.limits.max_idle_upstream_per_endpoint, 8u);
  EXPECT_TRUE(g.access_log.enabled);
  EXPECT_EQ(g.access_log.path, (root_ / "proj/logs/access.log").string());
  EXPECT_EQ(g.upstream_tls.ca_file, root_ / "proj/ca.pem");
  EXPECT_FALSE(g.upstream_tls.verify);
  EXPECT_THAT(g.forwarding.trusted_proxies, ElementsAre("10.0.0.0/8", "::1"));
  EXPECT_TRUE(g.forwarding.preserve_host);
  EXPECT_TRUE(g.forwarding.allow_encoded_slash);
  EXPECT_EQ(g.node_id, "gw-1");
  EXPECT_EQ(r.snapshot->routes.size(), 0u);
}

TEST_F(ProjectTest, GatewayDefaults) {
  write("postern.yaml", kMinimalGateway);
  auto r = load();
  ASSERT_TRUE(r.snapshot);
  const GatewayConfig& g = r.snapshot->gateway;
  EXPECT_EQ(g.workers, 0u);
  EXPECT_FALSE(g.admin);
  EXPECT_EQ(g.listeners[0].name, "http");
  EXPECT_FALSE(g.access_log.enabled);
  EXPECT_EQ(g.limits.header_timeout, Millis(10'000));
  EXPECT_FALSE(g.node_id.empty());
  EXPECT_EQ(r.snapshot->project_dir, root_ / "proj");
  EXPECT_EQ(r.snapshot->config_file, root_ / "proj/postern.yaml");
}

TEST_F(ProjectTest, UnknownKeySuggestsAndIsTheOnlyError) {
  write("postern.yaml", "lisetners:\n  - {name: http, address: \"127.0.0.1:9090\"}\n");
  EXPECT_THAT(errors(load()),
              ElementsAre("proj/postern.yaml:1:1: unknown key 'lisetners' in postern.yaml; did you mean 'listeners'?"));
}

TEST_F(ProjectTest, MissingProjectAndConfig) {
  EXPECT_THAT(errors(load_project("nope")),
              ElementsAre("nope: project directory not found; create one with 'postern init nope'"));
  EXPECT_THAT(errors(load()), ElementsAre("proj/postern.yaml: not found; every project needs a postern.yaml (create "
                                          "one with 'postern init proj')"));
}

TEST_F(ProjectTest, AbsoluteProjectPathGivesAbsoluteFiles) {
  write("postern.yaml", "workers: 0\nlisteners: []\n");
  auto e = errors(load_project(root_ / "proj"));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0], (root_ / "proj/postern.yaml").string() +
                      ":1:10: 'workers' must be \"auto\" (one per CPU core) or a number from 1 to 1024");
}

TEST_F(ProjectTest, GatewayValueErrorsAreAllReported) {
  write("postern.yaml", R"(listeners:
  - {name: http, address: "127.0.0.1"}
  - {name: https, address: "127.0.0.1:9095", tls: {cert: missing.pem, key: missing.key}}
admin: {adress: "127.0.0.1:9091"}
workers: lots
limits: {header_timeout: 10x, max_body_bytes: 10MB, idle_timeot: 1s}
access_log: {enabled: maybe}
forwarding: {trusted_proxies: ["10.0.0.0/33"]}
)");
  EXPECT_THAT(
      errors(load()),
      ElementsAre(
          "proj/postern.yaml:2:27: address '127.0.0.1' has no port; write it as \"host:port\", e.g. \"0.0.0.0:9090\"",
          "proj/postern.yaml:3:58: TLS certificate file 'missing.pem' not found (looked for " +
              (root_ / "proj/missing.pem").string() + "); paths are relative to the project directory",
          "proj/postern.yaml:3:76: TLS private key file 'missing.key' not found (looked for " +
              (root_ / "proj/missing.key").string() + "); paths are relative to the project directory",
          "proj/postern.yaml:4:8: 'admin' needs an 'address', e.g. admin: {address: \"127.0.0.1:9091\"}",
          "proj/postern.yaml:4:9: unknown key 'adress' in admin; did you mean 'address'?",
          "proj/postern.yaml:5:10: 'workers' must be \"auto\" (one per CPU core) or a number from 1 to 1024",
          "proj/postern.yaml:6:26: 'limits.header_timeout' must be a duration such as \"250ms\", \"10s\", \"2m\", "
          "\"1h\" or an integer of milliseconds",
          "proj/postern.yaml:6:47: 'limits.max_body_bytes' must be a byte count such as 8192, \"64KiB\", \"10MiB\" "
          "or \"1GiB\"",
          "proj/postern.yaml:6:53: unknown key 'idle_timeot' in limits; did you mean 'idle_timeout'?",
          "proj/postern.yaml:7:23: 'access_log.enabled' must be true or false",
          "proj/postern.yaml:8:32: '10.0.0.0/33' is not an IP address or CIDR (e.g. \"10.0.0.0/8\", "
          "\"192.168.1.7\", \"fd00::/8\")"));
}

TEST_F(ProjectTest, YamlSyntaxErrorHasPosition) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", "openapi: 3.0.3\ninfo: {title: A, version: 1\n");
  auto e = errors(load());
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0], "proj/apis/a.yaml:3:1: syntax error: end of map flow not found");
}

TEST_F(ProjectTest, MissingApisFolder) {
  write("postern.yaml", std::string(kMinimalGateway) + "apis: specs\n");
  EXPECT_THAT(errors(load()),
              ElementsAre("proj/postern.yaml: the apis folder 'proj/specs' does not exist; create it and put OpenAPI "
                          "documents (*.yaml, *.yml, *.json) in it, or point 'apis:' at the right folder"));
}

TEST_F(ProjectTest, CollectsErrorsAcrossAllFiles) {
  write("postern.yaml", "listeners: [{address: \"127.0.0.1:9090\"}]\nworkers: -1\n");
  write("apis/a.yaml", "openapi: 2.0\ninfo: {title: A, version: 1}\nx-wso2-basePath: /a\npaths: {}\n");
  write("apis/b.json", "{\"openapi\": \"3.1.0\", \"info\": {\"title\": \"B\"},\n \"paths\": {}}\n");
  write("apis/c.yml", "swagger: \"1.2\"\ninfo: {title: C, version: 1}\npaths: {}\n");
  write("apis/notes.txt", "ignored");
  EXPECT_THAT(errors(load()),
              ElementsAre("proj/postern.yaml:2:10: 'workers' must be \"auto\" (one per CPU core) or a number from 1 "
                          "to 1024",
                          "proj/apis/a.yaml:1:10: 'openapi' must be a 3.0.x or 3.1.x version string such as \"3.0.3\" "
                          "(quote it in YAML); got '2.0'",
                          "proj/apis/b.json:1:22: 'info.version' is required (e.g. version: \"1.0.0\")",
                          "proj/apis/c.yml:1:10: 'swagger' must be \"2.0\" (quoted in YAML), or use 'openapi: "
                          "\"3.0.3\"' for OpenAPI 3"));
}

TEST_F(ProjectTest, JsonWithTabs) {
  write("postern.yaml", kMinimalGateway);
  write("apis/j.json",
        "{\n\t\"openapi\": \"3.0.0\",\n\t\"info\": {\"title\": \"J\", \"version\": \"1\"},\n"
        "\t\"x-postern-basePath\": \"/j\",\n"
        "\t\"x-postern-production-endpoints\": {\"urls\": [\"http://127.0.0.1:8080\"]},\n"
        "\t\"paths\": {\"/x\": {\"get\": {}}}\n}\n");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << errors(r).at(0);
  EXPECT_NE(match(*r.snapshot, router::Method::kGet, "/j/x"), nullptr);
}

TEST_F(ProjectTest, BothPrefixesMeanTheSame) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", R"(openapi: 3.0.3
info: {title: A, version: 2.1.0}
x-postern-basePath: /a/{version}
x-postern-production-endpoints: {urls: ["http://127.0.0.1:8081"]}
x-postern-throttling-tier: 10kPerMin
paths:
  /x:
    get:
      x-wso2-sandbox-endpoints: {urls: ["http://127.0.0.1:8082"]}
)");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << errors(r).at(0);
  const Route* x = match(*r.snapshot, router::Method::kGet, "/a/2.1.0/x");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->production->endpoints[0].port, 8081);
  ASSERT_TRUE(x->sandbox);
  EXPECT_EQ(x->sandbox->endpoints[0].port, 8082);
}

TEST_F(ProjectTest, BothPrefixesAtOnePlaceIsAnError) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", R"(openapi: 3.0.3
info: {title: A, version: 1}
x-wso2-basePath: /a
x-postern-basePath: /b
x-wso2-production-endpoints: {urls: ["http://127.0.0.1:8081"]}
paths:
  /x:
    get: {}
)");
  EXPECT_THAT(errors(load()), ElementsAre("proj/apis/a.yaml:4:1: 'x-postern-basePath' and 'x-wso2-basePath' (at "
                                          "proj/apis/a.yaml:3:1) are the same extension; keep only one of them"));
}

TEST_F(ProjectTest, UnknownExtensionsAndLevels) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", R"(openapi: 3.0.3
info: {title: A, version: 1}
x-wso2-basepath: /a
x-postern-rate-limit: 5
x-amazon-apigateway-integration: {}
x-wso2-production-endpoints: {urls: ["http://127.0.0.1:8081"]}
x-wso2-cors: {accessControlAllowOrigins: ["*"]}
x-wso2-auth-header: X-Auth
x-wso2-transports: [http, https]
x-wso2-owner: admin
x-wso2-mutual-ssl: optional
x-wso2-response-cache: {enabled: true, cacheTimeoutInSeconds: 60}
x-wso2-application-security: {security-types: [oauth2]}
x-wso2-request-interceptor: java:com.example.Audit
x-wso2-response-interceptor: java:com.example.Audit
x-wso2-disable-security: true
x-wso2-throttling-tier: Unlimited
paths:
  /x:
    x-wso2-throttling-tier: Gold
    get:
      x-wso2-cors: {}
      x-wso2-throttling-tier: Gold
)");
  EXPECT_THAT(errors(load()),
              ElementsAre("proj/apis/a.yaml:3:1: unknown extension 'x-wso2-basepath'; did you mean 'x-wso2-basePath'?",
                          "proj/apis/a.yaml:4:1: unknown extension 'x-postern-rate-limit'",
                          HasSubstr("proj/apis/a.yaml:14:1: 'x-wso2-request-interceptor' names a WSO2"),
                          HasSubstr("proj/apis/a.yaml:15:1: 'x-wso2-response-interceptor' names a WSO2"),
                          "proj/apis/a.yaml:22:7: 'x-wso2-cors' is not allowed on an operation (GET /x); put it at "
                          "the document root"));
}

TEST_F(ProjectTest, EndpointReferences) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", R"(openapi: 3.0.3
info: {title: A, version: 1}
x-wso2-basePath: /a
x-wso2-endpoints:
  - main: {urls: ["http://127.0.0.1:8081", "http://127.0.0.1:8082"], type: failover}
  - other:
      urls: ["http://127.0.0.1:8083"]
x-wso2-production-endpoints: "#/x-wso2-endpoints/main"
x-wso2-sandbox-endpoints: "#/x-postern-endpoints/other"
paths:
  /x:
    get: {}
    post:
      x-wso2-production-endpoints: "#/x-wso2-endpoints/other"
)");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << errors(r).at(0);
  const Route* get = match(*r.snapshot, router::Method::kGet, "/a/x");
  const Route* post = match(*r.snapshot, router::Method::kPost, "/a/x");
  ASSERT_TRUE(get && post);
  EXPECT_EQ(get->production->name, "main");
  EXPECT_EQ(get->production->type, EndpointGroup::Type::kFailover);
  EXPECT_EQ(get->production->endpoints.size(), 2u);
  EXPECT_EQ(get->sandbox->name, "other");
  EXPECT_EQ(post->production->name, "other");
  EXPECT_EQ(post->production, get->sandbox);
}

TEST_F(ProjectTest, EndpointErrors) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", R"(openapi: 3.0.3
info: {title: A, version: 1}
x-wso2-basePath: /a
x-wso2-endpoints:
  - main: {urls: ["ftp://x"], type: round_robin}
x-wso2-production-endpoints: "#/x-wso2-endpoints/mian"
paths:
  /x:
    get:
      x-wso2-production-endpoints: {url: ["http://127.0.0.1:1"]}
    put:
      x-wso2-production-endpoints: "#/endpoints/main"
    delete:
      x-wso2-production-endpoints: {urls: ["http://127.0.0.1:99999"], advanceEndpointConfig: {timeoutInMillis: 0}}
)");
  EXPECT_THAT(
      errors(load()),
      ElementsAre("proj/apis/a.yaml:5:19: endpoint URL 'ftp://x' must start with http:// or https://; expected "
                  "http://host[:port][/path] or https://host[:port][/path]",
                  "proj/apis/a.yaml:5:37: endpoint type 'round_robin' is not one of load_balance, failover, http, "
                  "address",
                  "proj/apis/a.yaml:6:30: endpoint 'mian' is not defined; 'x-wso2-endpoints' defines: main; did you "
                  "mean 'main'?",
                  "proj/apis/a.yaml:10:36: 'x-wso2-production-endpoints' has no 'urls'; add e.g. urls: "
                  "[\"http://backend:8080\"]",
                  "proj/apis/a.yaml:10:37: unknown key 'url' in 'x-wso2-production-endpoints'; did you mean 'urls'?",
                  "proj/apis/a.yaml:12:36: 'x-wso2-production-endpoints' must be an endpoint object {urls: [...]} or "
                  "a reference like \"#/x-wso2-endpoints/NAME\"; got '#/endpoints/main'",
                  "proj/apis/a.yaml:14:44: endpoint URL 'http://127.0.0.1:99999' has an invalid port (1-65535); "
                  "expected http://host[:port][/path] or https://host[:port][/path]",
                  "proj/apis/a.yaml:14:112: 'timeoutInMillis' must be an integer from 1 to 86400000"));
}

TEST_F(ProjectTest, OperationWinsOverPathItemOverApi) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", R"(openapi: 3.0.3
info: {title: A, version: 1}
x-wso2-basePath: /a
x-wso2-production-endpoints: {urls: ["http://127.0.0.1:8081"]}
paths:
  /api-level:
    get: {}
  /path-level:
    x-wso2-production-endpoints: {urls: ["http://127.0.0.1:8082"]}
    get: {}
    put:
      x-postern-production-endpoints: {urls: ["http://127.0.0.1:8083/base/"]}
)");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << errors(r).at(0);
  const Snapshot& s = *r.snapshot;
  EXPECT_EQ(match(s, router::Method::kGet, "/a/api-level")->production->endpoints[0].port, 8081);
  EXPECT_EQ(match(s, router::Method::kGet, "/a/path-level")->production->endpoints[0].port, 8082);
  const Route* put = match(s, router::Method::kPut, "/a/path-level");
  EXPECT_EQ(put->production->endpoints[0].port, 8083);
  EXPECT_EQ(put->production->endpoints[0].base_path, "/base");
  EXPECT_EQ(put->source, "proj/apis/a.yaml:11:5");
  EXPECT_EQ(put->method_text, "PUT");
  EXPECT_EQ(put->full_template, "/a/path-level");
  EXPECT_EQ(put->sandbox, nullptr);
}

TEST_F(ProjectTest, MissingProductionEndpointsNamesTheOperation) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", R"(openapi: 3.0.3
info: {title: A, version: 1}
x-wso2-basePath: /a
paths:
  /x:
    get:
      x-wso2-production-endpoints: {urls: ["http://127.0.0.1:8081"]}
    delete: {}
)");
  EXPECT_THAT(errors(load()),
              ElementsAre("proj/apis/a.yaml:8:5: DELETE /x has no production endpoints; add "
                          "x-wso2-production-endpoints (or x-postern-production-endpoints) to the operation or to the "
                          "document root, e.g. {urls: [\"http://backend:8080\"]}, or OpenAPI 'servers' with "
                          "absolute URLs"));
}

TEST_F(ProjectTest, BasePaths) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", api_doc("/shop/{version}/", "  /items:\n    get: {}\n"));
  write("apis/b.yaml", api_doc("/", "  /:\n    get: {}\n", "Root"));
  write("apis/c.yaml",
        "openapi: 3.1.0\ninfo: {title: My Cool API, version: 3}\n"
        "x-wso2-production-endpoints: {urls: [\"http://127.0.0.1:8080\"]}\npaths:\n  /:\n    get: {}\n");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << errors(r).at(0);
  const Snapshot& s = *r.snapshot;
  EXPECT_EQ(s.apis[0]->base_path, "/shop/1.0.0");
  EXPECT_EQ(s.apis[1]->base_path, "");
  EXPECT_EQ(s.apis[2]->base_path, "/my-cool-api");  // default: slug of info.title
  EXPECT_NE(match(s, router::Method::kGet, "/shop/1.0.0/items"), nullptr);
  EXPECT_NE(match(s, router::Method::kGet, "/"), nullptr);
  EXPECT_EQ(match(s, router::Method::kGet, "/my-cool-api")->full_template, "/my-cool-api");
  EXPECT_NE(match(s, router::Method::kGet, "/my-cool-api/"), nullptr);
}

TEST_F(ProjectTest, BadBasePathAndPaths) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml",
        api_doc("shop/{tenant}", "  items:\n    get: {}\n  /a{b}:\n    get: {}\n  /ok:\n    gett: {}\n"));
  EXPECT_THAT(errors(load()),
              ElementsAre("proj/apis/a.yaml:3:18: 'x-wso2-basePath' must start with '/', e.g. /petstore/{version}",
                          "proj/apis/a.yaml:6:3: path 'items' must start with '/'",
                          "proj/apis/a.yaml:8:3: path template '/a{b}': segment 'a{b}' mixes text and a parameter; "
                          "a {param} must be a whole segment (e.g. '/files/{name}', not '/files/{name}.json')",
                          "proj/apis/a.yaml:11:5: unknown key 'gett' in path '/ok'; did you mean 'get'?"));
}

TEST_F(ProjectTest, RouteCollisionsNameBothSources) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", api_doc("/pets", "  /{id}:\n    get: {}\n    put: {}\n"));
  write("apis/b.yaml", api_doc("/pets", "  /{petId}:\n    get: {}\n  /{petId}/x:\n    get: {}\n", "Other"));
  EXPECT_THAT(errors(load()),
              ElementsAre("proj/apis/b.yaml:7:5: GET /pets/{petId} collides with GET /pets/{id} declared at "
                          "proj/apis/a.yaml:7:5; give the APIs different base paths or remove one of the operations"));
}

TEST_F(ProjectTest, RoutingThroughSnapshot) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", api_doc("/pets", R"(  /{id}:
    get: {}
    delete: {}
  /mine:
    get: {}
  /:
    post: {}
)"));
  auto r = load();
  ASSERT_TRUE(r.snapshot) << errors(r).at(0);
  const Snapshot& s = *r.snapshot;
  EXPECT_EQ(match(s, router::Method::kGet, "/pets/mine")->resource_path, "/mine");
  EXPECT_EQ(match(s, router::Method::kGet, "/pets/mine/")->resource_path, "/mine");
  EXPECT_EQ(match(s, router::Method::kGet, "/pets/7")->resource_path, "/{id}");
  EXPECT_EQ(match(s, router::Method::kHead, "/pets/7")->resource_path, "/{id}");
  EXPECT_EQ(match(s, router::Method::kPost, "/pets")->resource_path, "/");
  EXPECT_EQ(match(s, router::Method::kPost, "/pets/")->resource_path, "/");
  router::MatchResult m;
  EXPECT_EQ(match(s, router::Method::kPatch, "/pets/7", &m), nullptr);
  EXPECT_EQ(m.kind, Kind::kMethodNotAllowed);
  auto bit = [](router::Method x) { return uint16_t(1u << unsigned(x)); };
  EXPECT_EQ(m.allowed_methods, bit(router::Method::kGet) | bit(router::Method::kHead) | bit(router::Method::kDelete));
  EXPECT_EQ(match(s, router::Method::kGet, "/cats", &m), nullptr);
  EXPECT_EQ(m.kind, Kind::kNotFound);
  ASSERT_EQ(s.apis[0]->route_ids.size(), 4u);
  for (uint32_t id : s.apis[0]->route_ids) EXPECT_EQ(s.routes[id].id, id);
}

}  // namespace
}  // namespace postern::config
