// Swagger 2.0 documents load like OpenAPI 3 ones (WSO2 3.x accepts both): paths and
// operations, host/basePath/schemes as the production endpoint, securityDefinitions, and the
// x-wso2 extensions at the same places.
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

TEST_F(ProjectTest, SwaggerDocumentWithHostBasePathSchemesAndSecurityDefinitions) {
  write("postern.yaml", kMinimalGateway);
  write("apis/pets.yaml", R"(swagger: "2.0"
info: {title: Swagger Pets, version: 1.0.0}
host: 127.0.0.1:8081
basePath: /v2
schemes: [http, https]
x-wso2-basePath: /pets/{version}
x-wso2-throttling-tier: 10kPerMin
securityDefinitions:
  petstore_auth:
    type: oauth2
    flow: implicit
    authorizationUrl: https://idp.example/authorize
    scopes: {"write:pets": modify, "read:pets": read}
  api_key: {type: apiKey, in: header, name: X-API-Key}
  qkey: {type: apiKey, in: query, name: key}
  basicAuth: {type: basic}
security: [{petstore_auth: ["read:pets"]}]
paths:
  /pets:
    parameters: [{name: limit, in: query, type: integer}]
    get: {responses: {"200": {description: ok}}}
    post:
      security: [{api_key: []}, {basicAuth: []}]
  /pets/{id}:
    get:
      security: [{qkey: []}]
      x-wso2-production-endpoints: {urls: ["http://127.0.0.1:8082/other"]}
  /open:
    get: {x-wso2-disable-security: true}
)");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  EXPECT_TRUE(r.warnings.empty());
  const Api& api = *r.snapshot->apis.at(0);
  EXPECT_EQ(api.name, "Swagger Pets");
  EXPECT_EQ(api.base_path, "/pets/1.0.0");
  ASSERT_NE(api.tier, nullptr);
  EXPECT_EQ(api.tier->name, "10kPerMin");

  const Route& list = route(r, "/pets/1.0.0/pets");
  ASSERT_EQ(list.production->endpoints.size(), 1u);
  // https is chosen when both schemes are listed.
  EXPECT_EQ(list.production->endpoints[0].url, "https://127.0.0.1:8081/v2");
  EXPECT_EQ(list.production->endpoints[0].base_path, "/v2");
  EXPECT_TRUE(list.security->oauth2);
  EXPECT_THAT(list.security->scopes, ElementsAre("read:pets"));

  const RouteSecurity& post = *route(r, "/pets/1.0.0/pets", "POST").security;
  EXPECT_FALSE(post.oauth2);
  EXPECT_TRUE(post.basic);
  ASSERT_EQ(post.api_keys.size(), 1u);
  EXPECT_EQ(post.api_keys[0].name, "x-api-key");

  const Route& one = route(r, "/pets/1.0.0/pets/{id}");
  EXPECT_EQ(one.production->endpoints[0].url, "http://127.0.0.1:8082/other");
  ASSERT_EQ(one.security->api_keys.size(), 1u);
  EXPECT_TRUE(one.security->api_keys[0].in_query);
  EXPECT_EQ(one.security->api_keys[0].name, "key");
  EXPECT_TRUE(route(r, "/pets/1.0.0/open").security->disabled);
}

TEST_F(ProjectTest, SwaggerWithoutSchemesIsHttpAndWithoutBasePathHasNoPrefix) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.json", R"({"swagger": "2.0", "info": {"title": "A", "version": "1"}, "host": "127.0.0.1:8081",
  "paths": {"/x": {"get": {}}}})");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  EXPECT_EQ(route(r, "/a/x").production->endpoints.at(0).url, "http://127.0.0.1:8081");
}

TEST_F(ProjectTest, SwaggerErrorsHavePositions) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", R"(swagger: "2.0"
info: {title: A, version: 1}
basePath: /v1
securityDefinitions:
  bearer: {type: http, scheme: bearer}
paths:
  /x: {get: {}}
)");
  write("apis/b.yaml", R"(swagger: 2.1
info: {title: B, version: 1}
host: http://127.0.0.1:8081/v1
paths:
  /x:
    servers: []
    get: {}
)");
  write("apis/c.yaml", R"(swagger: "2.0"
info: {title: C, version: 1}
host: 127.0.0.1:8081
schemes: [ws]
paths:
  /x: {get: {}}
)");
  write("apis/d.yaml", R"(swagger: "2.0"
info: {title: D, version: 1}
paths:
  /x: {get: {}}
)");
  auto r = load();
  EXPECT_FALSE(r.snapshot);
  EXPECT_THAT(
      errors(r),
      ElementsAre("proj/apis/a.yaml:3:1: Swagger 'basePath' without 'host' is relative to wherever the document is "
                  "served, and Postern needs the backend's absolute URL; add host: backend:8080 (and schemes: "
                  "[http] or [https]), or give the API x-wso2-production-endpoints, which take precedence over "
                  "'host'",
                  "proj/apis/a.yaml:5:11: unknown security scheme type 'http' (basic, apiKey, oauth2)",
                  "proj/apis/b.yaml:1:10: 'swagger' must be \"2.0\" (quoted in YAML), or use 'openapi: \"3.0.3\"' "
                  "for OpenAPI 3",
                  "proj/apis/b.yaml:3:7: Swagger 'host' must be a host with an optional port, such as backend:8080; "
                  "the path goes in 'basePath' and the scheme in 'schemes'",
                  "proj/apis/b.yaml:6:5: unknown key 'servers' in path '/x'",
                  "proj/apis/c.yaml:4:10: Swagger 'schemes' must list http and/or https (Postern forwards over one "
                  "of them), e.g. [https]",
                  "proj/apis/d.yaml:4:8: GET /x has no production endpoints; add x-wso2-production-endpoints (or "
                  "x-postern-production-endpoints) to the operation or to the document root, e.g. {urls: "
                  "[\"http://backend:8080\"]}, or Swagger 'host' (with 'basePath' and 'schemes')"));
}

TEST_F(ProjectTest, SwaggerAndOpenApiTogetherIsAnError) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml",
        "openapi: 3.0.3\nswagger: \"2.0\"\ninfo: {title: A, version: 1}\n"
        "x-wso2-production-endpoints: {urls: [\"http://127.0.0.1:8081\"]}\npaths:\n  /x: {get: {}}\n");
  auto r = load();
  EXPECT_THAT(errors(r), ElementsAre("proj/apis/a.yaml:2:1: a document is either OpenAPI 3 ('openapi') or Swagger "
                                     "2.0 ('swagger'); remove one of them"));
}

}  // namespace
}  // namespace postern::config::testing
