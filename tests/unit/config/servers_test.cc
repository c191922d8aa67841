// OpenAPI `servers` as production endpoints (WSO2 3.x does the same when no
// x-wso2-production-endpoints is given), endpoint URLs with a query, and security
// requirements that name an undefined scheme (OAuth2 with a warning, as WSO2).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "project_fixture.h"

namespace postern::config::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const Route& route(const LoadResult& r, std::string_view tmpl, std::string_view method = "GET") {
  for (const auto& rt : r.snapshot->routes) {
    if (rt.full_template == tmpl && rt.method_text == method) return rt;
  }
  ADD_FAILURE() << "no route " << method << " " << tmpl;
  return r.snapshot->routes.at(0);
}

std::vector<std::string> urls(const Route& r) {
  std::vector<std::string> out;
  for (const auto& e : r.production->endpoints) out.push_back(e.url);
  return out;
}

std::vector<std::string> warnings(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.warnings) out.push_back(d.format());
  return out;
}

TEST_F(ProjectTest, ServersAreTheProductionEndpointsWithVariablesResolvedAndLoadBalanced) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", R"(openapi: 3.0.3
info: {title: A, version: 1}
x-wso2-basePath: /a
servers:
  - url: "http://{host}:{port}/{base}?tenant=t1"
    description: primary
    variables:
      host: {default: 127.0.0.1, enum: [127.0.0.1, localhost]}
      port: {default: "8081"}
      base: {default: v1}
  - url: http://127.0.0.1:8082/v1
paths:
  /x:
    get: {}
  /p:
    servers: [{url: "http://127.0.0.1:8083"}]
    get: {}
    put:
      servers: [{url: "http://127.0.0.1:8084"}]
)");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  EXPECT_THAT(warnings(r), IsEmpty());
  const Route& x = route(r, "/a/x");
  EXPECT_THAT(urls(x), ElementsAre("http://127.0.0.1:8081/v1?tenant=t1", "http://127.0.0.1:8082/v1"));
  EXPECT_EQ(x.production->type, EndpointGroup::Type::kLoadBalance);
  EXPECT_EQ(x.production->endpoints[0].base_path, "/v1");
  EXPECT_EQ(x.production->endpoints[0].query, "tenant=t1");
  EXPECT_EQ(x.production->endpoints[0].port, 8081);
  EXPECT_THAT(urls(route(r, "/a/p")), ElementsAre("http://127.0.0.1:8083"));
  EXPECT_THAT(urls(route(r, "/a/p", "PUT")), ElementsAre("http://127.0.0.1:8084"));
}

TEST_F(ProjectTest, Wso2EndpointsAtAnyLevelWinOverServersWhichAreThenNotRead) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", R"(openapi: 3.0.3
info: {title: A, version: 1}
x-wso2-basePath: /a
servers: [{url: /relative-but-documentation-only}]
x-wso2-production-endpoints: {urls: ["http://127.0.0.1:8081"]}
paths:
  /x:
    servers: [{url: "http://127.0.0.1:8083"}]
    get: {}
)");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  EXPECT_THAT(urls(route(r, "/a/x")), ElementsAre("http://127.0.0.1:8081"));
}

TEST_F(ProjectTest, UnusableServersAreErrorsAtTheirPosition) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", R"(openapi: 3.0.3
info: {title: A, version: 1}
x-wso2-basePath: /a
servers:
  - url: /v1
  - url: "http://{host}/v1"
  - url: "http://{h}/v1"
    variables: {h: {enum: [a]}}
  - url: ftp://files.example/x
  - {description: no url}
paths:
  /x: {get: {}}
  /y: {get: {}}
)");
  auto r = load();
  EXPECT_FALSE(r.snapshot);
  EXPECT_THAT(errors(r),
              ElementsAre("proj/apis/a.yaml:5:10: server URL '/v1' is relative, and Postern needs the backend's "
                          "absolute URL; write it as http://host[:port][/path] (or https://), or give the API "
                          "x-wso2-production-endpoints, which take precedence over 'servers'",
                          "proj/apis/a.yaml:6:10: server URL 'http://{host}/v1' uses the variable '{host}', which "
                          "its 'variables' do not define; add variables: {host: {default: VALUE}}",
                          "proj/apis/a.yaml:8:20: server variable 'h' needs a 'default' (Postern uses the default as "
                          "the backend)",
                          "proj/apis/a.yaml:9:10: server URL 'ftp://files.example/x' is not an http:// or https:// "
                          "URL; write it as http://host[:port][/path] (or https://), or give the API "
                          "x-wso2-production-endpoints, which take precedence over 'servers'",
                          "proj/apis/a.yaml:10:5: a server needs a 'url', e.g. {url: \"http://backend:8080/v1\"}"));
}

TEST_F(ProjectTest, WithoutEndpointsOrServersTheErrorMentionsBoth) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", "openapi: 3.0.3\ninfo: {title: A, version: 1}\npaths:\n  /x: {get: {}}\n");
  auto r = load();
  EXPECT_THAT(errors(r), ElementsAre("proj/apis/a.yaml:4:8: GET /x has no production endpoints; add "
                                     "x-wso2-production-endpoints (or x-postern-production-endpoints) to the "
                                     "operation or to the document root, e.g. {urls: [\"http://backend:8080\"]}, or "
                                     "OpenAPI 'servers' with absolute URLs"));
}

TEST_F(ProjectTest, AnUndefinedSecuritySchemeIsOAuth2WithAWarning) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", R"(openapi: 3.0.3
info: {title: A, version: 1}
x-wso2-basePath: /a
x-wso2-production-endpoints: {urls: ["http://127.0.0.1:8081"]}
components:
  securitySchemes:
    oauth: {type: oauth2}
    key: {type: apiKey, in: header, name: X-Key}
security: [{default: []}]
paths:
  /x: {get: {}}
  /y: {get: {security: [{oauht: [read]}]}}
)");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  EXPECT_THAT(warnings(r),
              ElementsAre("proj/apis/a.yaml:9:13: warning: security scheme 'default' is not defined in "
                          "components.securitySchemes; Postern treats it as OAuth2, as WSO2 does (callers need a "
                          "bearer token); define the scheme",
                          "proj/apis/a.yaml:12:26: warning: security scheme 'oauht' is not defined in "
                          "components.securitySchemes; Postern treats it as OAuth2, as WSO2 does (callers need a "
                          "bearer token with one of its scopes); define the scheme; did you mean 'oauth'?"));
  const RouteSecurity& x = *route(r, "/a/x").security;
  EXPECT_TRUE(x.oauth2);
  EXPECT_TRUE(x.api_keys.empty());
  const RouteSecurity& y = *route(r, "/a/y").security;
  EXPECT_TRUE(y.oauth2);
  EXPECT_THAT(y.scopes, ElementsAre("read"));
}

}  // namespace
}  // namespace postern::config::testing
