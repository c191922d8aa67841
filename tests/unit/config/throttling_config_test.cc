// postern.yaml `throttling:` and x-*-throttling-tier: built-in WSO2 tiers, overrides,
// and every mistake reported with file:line:col at load (not 900809 at run time).
#include <gmock/gmock.h>

#include "project_fixture.h"

namespace postern::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ProjectTest;

constexpr const char* kApi = R"(openapi: 3.0.3
info: {title: A, version: '1'}
x-wso2-basePath: /a
x-wso2-production-endpoints: {urls: ["http://127.0.0.1:8081"]}
paths:
  /x:
    get:
      x-wso2-throttling-tier: 10kPerMin
  /y:
    x-throttling-tier: Tight
    get: {}
)";

TEST_F(ProjectTest, ThrottlingBuiltInTiersAndOverrides) {
  write("postern.yaml", std::string(kMinimalGateway) + R"(throttling:
  tiers:
    resource:
      Tight: {requests: 5, per: second, burst: 2, key: ip}
    subscription:
      Gold: {requests: 100, per: hour, on_redis_failure: closed}
      ByHeader: {requests: 7, per: 10s, key: "header:X-Tenant"}
    application:
      Bytes: {bytes: 1MiB, per: day}
  blocking:
    - ip: 10.0.0.0/8
    - user: mallory
)");
  write("apis/a.yaml", kApi);
  auto r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  const auto& t = r.snapshot->gateway.throttling;
  EXPECT_FALSE(t.distributed);
  // WSO2's policies.yaml ships built in.
  EXPECT_EQ(t.resource.at("50kPerMin").requests, 50000u);
  EXPECT_EQ(t.application.at("10PerMin").requests, 10u);
  EXPECT_EQ(t.subscription.at("Bronze").requests, 10u);
  EXPECT_EQ(t.subscription.at("Unauthenticated").requests, 500u);
  EXPECT_EQ(t.subscription.at("Default").requests, 500u);
  EXPECT_TRUE(t.subscription.at("Unlimited").unlimited);
  // An entry of the same name replaces the built-in one.
  EXPECT_EQ(t.subscription.at("Gold").requests, 100u);
  EXPECT_EQ(t.subscription.at("Gold").unit_ms, 3'600'000);
  EXPECT_TRUE(t.subscription.at("Gold").fail_closed);
  const auto& tight = t.resource.at("Tight");
  EXPECT_EQ(tight.unit_ms, 1000);
  EXPECT_EQ(tight.burst, 2u);
  EXPECT_EQ(tight.key_by, ThrottleTier::KeyBy::kClientIp);
  EXPECT_EQ(t.subscription.at("ByHeader").key_name, "x-tenant");
  EXPECT_EQ(t.subscription.at("ByHeader").unit_ms, 10'000);
  EXPECT_EQ(t.application.at("Bytes").bytes, 1u << 20);
  ASSERT_EQ(t.blocks.size(), 2u);
  // Operation and path-item tiers resolve to the tier objects.
  const auto& routes = r.snapshot->routes;
  ASSERT_EQ(routes.size(), 2u);
  for (const auto& route : routes) {
    ASSERT_NE(route.resource_tier, nullptr);
    EXPECT_EQ(route.resource_tier->name, route.resource_path == "/x" ? "10kPerMin" : "Tight");
  }
}

TEST_F(ProjectTest, ThrottlingUnknownTierIsALoadError) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", kApi);
  EXPECT_THAT(errors(load()),
              ElementsAre(HasSubstr("proj/apis/a.yaml:10:24: throttling tier 'Tight' does not exist; declare it "
                                    "under throttling.tiers.resource in postern.yaml")));
}

TEST_F(ProjectTest, ThrottlingMistakes) {
  write("postern.yaml", std::string(kMinimalGateway) + R"(throttling:
  mode: redis
  unauthenticated_tier: Platinum
  tiers:
    resource:
      NoUnit: {requests: 5}
      Nothing: {per: minute}
      BadKey: {requests: 1, per: minute, key: cookie}
      Unlimited: {unlimited: true}
    subscription:
      Weird: {requests: 1, per: fortnight}
  blocking:
    - ip: 10.0.0.0/33
    - {user: a, application: b}
)");
  write("apis/a.yaml", R"(openapi: 3.0.3
info: {title: A, version: '1'}
x-wso2-production-endpoints: {urls: ["http://127.0.0.1:8081"]}
paths:
  /x: {get: {}}
)");
  auto e = errors(load());
  EXPECT_THAT(e, ::testing::Contains(HasSubstr("mode: redis needs a 'redis' section")));
  EXPECT_THAT(e, ::testing::Contains(
                     HasSubstr("proj/postern.yaml:5:25: 'unauthenticated_tier' names subscription tier 'Platinum'")));
  EXPECT_THAT(e, ::testing::Contains(HasSubstr("tier 'NoUnit' needs 'per'")));
  EXPECT_THAT(e, ::testing::Contains(HasSubstr("tier 'Nothing' limits nothing")));
  EXPECT_THAT(e, ::testing::Contains(HasSubstr("'key' must be ip, header:NAME or claim:NAME")));
  EXPECT_THAT(e, ::testing::Contains(HasSubstr("'Unlimited' is built in")));
  EXPECT_THAT(e, ::testing::Contains(HasSubstr("'per' must be second, minute, hour, day")));
  EXPECT_THAT(e, ::testing::Contains(HasSubstr("'10.0.0.0/33' is not an IP address or CIDR range")));
  EXPECT_THAT(e, ::testing::Contains(HasSubstr("exactly one of ip, api, application, user")));
}

TEST_F(ProjectTest, ThrottlingRedisSection) {
  write("postern.yaml", std::string(kMinimalGateway) + R"(throttling:
  mode: redis
  memory: 8MiB
  redis: {address: "127.0.0.1:6390", database: 2, key_prefix: edge, sync_interval: 50ms, batch: 20, timeout: 200ms}
)");
  write("apis/a.yaml", R"(openapi: 3.0.3
info: {title: A, version: '1'}
x-wso2-production-endpoints: {urls: ["http://127.0.0.1:8081"]}
paths:
  /x: {get: {}}
)");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  const auto& t = r.snapshot->gateway.throttling;
  EXPECT_TRUE(t.distributed);
  EXPECT_EQ(t.memory_bytes, 8u << 20);
  EXPECT_EQ(t.redis.address.text, "127.0.0.1:6390");
  EXPECT_EQ(t.redis.database, 2u);
  EXPECT_EQ(t.redis.key_prefix, "edge");
  EXPECT_EQ(t.redis.sync_interval.count(), 50);
  EXPECT_EQ(t.redis.batch, 20u);
  EXPECT_EQ(t.redis.timeout.count(), 200);
}

}  // namespace
}  // namespace postern::config
