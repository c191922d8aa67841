// OpenAPI extensions as a user writes them, checked end to end: which backend a request
// reaches (identified by the Host the gateway sends, which is the endpoint's host:port).
#include <set>

#include "fixture.h"

namespace postern::itest {
namespace {

class ApiConfig : public GatewayTest {
 protected:
  // The backend port a proxied request reached.
  static std::string backend_of(const Response& r) {
    auto hosts = echo_header(echo_of(r), "host");
    return hosts.empty() ? "" : hosts[0];
  }
  static std::string hostport(const Echo& e) { return "127.0.0.1:" + std::to_string(e.port()); }
};

TEST_F(ApiConfig, PosternPrefixJsonDocumentWithEndpointReference) {
  start_echo();
  GatewayOptions o;
  o.apis["orders.json"] = R"({
  "openapi": "3.1.0",
  "info": {"title": "Orders", "version": "v2"},
  "x-postern-disable-security": true,
  "x-postern-basePath": "/orders/{version}",
  "x-postern-endpoints": [
    {"ordersBackend": {"urls": [")" +
                          echo->url() + R"(/api"]}}
  ],
  "x-postern-production-endpoints": "#/x-postern-endpoints/ordersBackend",
  "paths": {
    "/orders": {"get": {}, "post": {}},
    "/orders/{orderId}": {"get": {}}
  }
})";
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  auto r = http_request(port(), "GET", "/orders/v2/orders/17");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(echo_of(*r)["path"].str(), "/api/orders/17");
}

TEST_F(ApiConfig, WsoEndpointReference) {
  start_echo();
  GatewayOptions o;
  o.apis["pets.yaml"] =
      "openapi: 3.0.0\nx-wso2-disable-security: true\n"
      "info: {title: Pets, version: 1.0.0}\n"
      "x-wso2-basePath: /pets/{version}\n"
      "x-wso2-production-endpoints: \"#/x-wso2-endpoints/petsBackend\"\n"
      "x-wso2-endpoints:\n"
      "  - petsBackend:\n"
      "      urls: [\"" +
      echo->url() +
      "\"]\n"
      "paths:\n"
      "  /items: {get: {}}\n";
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  auto r = http_request(port(), "GET", "/pets/1.0.0/items");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(echo_of(*r)["path"].str(), "/items");
}

TEST_F(ApiConfig, ResourceLevelEndpointWins) {
  start_echo();
  Echo other(tmp.path());
  GatewayOptions o;
  o.apis["pets.yaml"] =
      "openapi: 3.0.0\nx-wso2-disable-security: true\n"
      "info: {title: Pets, version: 1.0.0}\n"
      "x-wso2-basePath: /pets/{version}\n"
      "x-wso2-production-endpoints: {urls: [\"" +
      echo->url() +
      "\"]}\n"
      "paths:\n"
      "  /items: {get: {}}\n"
      "  /items/{id}:\n"
      "    get:\n"
      "      x-wso2-production-endpoints: {urls: [\"" +
      other.url() +
      "\"]}\n"
      "    delete: {}\n";
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  auto a = http_request(port(), "GET", "/pets/1.0.0/items");
  auto b = http_request(port(), "GET", "/pets/1.0.0/items/5");
  auto c = http_request(port(), "DELETE", "/pets/1.0.0/items/5");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(backend_of(*a), hostport(*echo));
  EXPECT_EQ(backend_of(*b), hostport(other)) << "resource-level endpoint not used";
  EXPECT_EQ(backend_of(*c), hostport(*echo));
}

TEST_F(ApiConfig, SeveralUrlsAreLoadBalanced) {
  start_echo();
  Echo other(tmp.path());
  GatewayOptions o;
  o.workers = "1";
  o.apis["pets.yaml"] =
      "openapi: 3.0.0\nx-wso2-disable-security: true\n"
      "info: {title: Pets, version: 1.0.0}\n"
      "x-wso2-basePath: /pets/{version}\n"
      "x-wso2-production-endpoints: {urls: [\"" +
      echo->url() + "\", \"" + other.url() +
      "\"]}\n"
      "paths:\n"
      "  /items: {get: {}}\n";
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  std::map<std::string, int> hits;
  for (int i = 0; i < 10; ++i) {
    auto r = http_request(port(), "GET", "/pets/1.0.0/items");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    ++hits[backend_of(*r)];
  }
  EXPECT_EQ(hits.size(), 2u) << "round robin over two urls reached only one backend";
  EXPECT_GE(hits[hostport(*echo)], 3);
  EXPECT_GE(hits[hostport(other)], 3);
}

TEST_F(ApiConfig, FailoverMovesOnWhenFirstUrlIsDown) {
  start_echo();
  int dead = free_port();
  GatewayOptions o;
  o.apis["pets.yaml"] =
      "openapi: 3.0.0\nx-wso2-disable-security: true\n"
      "info: {title: Pets, version: 1.0.0}\n"
      "x-wso2-basePath: /pets/{version}\n"
      "x-wso2-production-endpoints:\n"
      "  urls: [\"http://127.0.0.1:" +
      std::to_string(dead) + "\", \"" + echo->url() +
      "\"]\n"
      "  type: failover\n"
      "paths:\n"
      "  /items: {get: {}}\n";
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  for (int i = 0; i < 3; ++i) {
    auto r = http_request(port(), "GET", "/pets/1.0.0/items");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
  }
}

TEST_F(ApiConfig, SeveralApisSideBySide) {
  start_echo();
  Echo other(tmp.path());
  GatewayOptions o;
  o.apis["pets.yaml"] = pets_api(echo->url());
  o.apis["shop.yaml"] =
      "openapi: 3.0.0\nx-wso2-disable-security: true\n"
      "info: {title: Shop, version: 2.1.0}\n"
      "x-postern-basePath: /shop\n"
      "x-postern-production-endpoints: {urls: [\"" +
      other.url() +
      "\"]}\n"
      "paths:\n"
      "  /carts/{cartId}/items/{itemId}: {put: {}}\n";
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  auto a = http_request(port(), "GET", "/pets/1.0.0/items/1");
  auto b = http_request(port(), "PUT", "/shop/carts/c1/items/i2", {}, "{}");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(backend_of(*a), hostport(*echo));
  ASSERT_EQ(b->status, 200) << b->body;
  EXPECT_EQ(backend_of(*b), hostport(other));
  EXPECT_EQ(echo_of(*b)["path"].str(), "/carts/c1/items/i2");
}

TEST_F(ApiConfig, TrailingSlashMatchesTemplateWithout) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

}  // namespace
}  // namespace postern::itest
