// WSO2 3.x policies.yaml at the project root: its tiers load unchanged, what Postern cannot
// enforce is an error or a warning, and postern.yaml may not define the same tier again.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "project_fixture.h"

namespace postern::config::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> warnings(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.warnings) out.push_back(d.format());
  return out;
}

constexpr const char* kApi =
    "openapi: 3.0.3\ninfo: {title: A, version: 1}\nx-wso2-basePath: /a\n"
    "x-wso2-production-endpoints: {urls: [\"http://127.0.0.1:8081\"]}\n"
    "x-wso2-throttling-tier: Tight\npaths:\n  /x: {get: {}}\n";

TEST_F(ProjectTest, PoliciesYamlTiersLoadIntoTheirGroups) {
  write("postern.yaml", std::string(kMinimalGateway) + "throttling:\n  default_subscription_tier: Partner\n");
  write("apis/a.yaml", kApi);
  write("policies.yaml", R"(resourcePolicies:
  - Tight:
     count: 3
     unitTime: 10
     timeUnit: sec
  - 10kPerMin:
     count: 20000
     unitTime: 1
     timeUnit: min
applicationPolicies:
  - Weekly: {count: 1000, unitTime: 7, timeUnit: days}
subscriptionPolicies:
  - Partner:
      count: 5000
      unitTime: 1
      timeUnit: hour
      stopOnQuotaReach: true
      rateLimitCount: 20
      rateLimitTimeUnit: sec
  - Download:
      dataAmount: 10
      dataUnit: MB
      unitTime: 1
      timeUnit: min
      description: a bandwidth policy
)");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  EXPECT_THAT(warnings(r), IsEmpty());
  const ThrottlingConfig& t = r.snapshot->gateway.throttling;
  const ThrottleTier& tight = t.resource.at("Tight");
  EXPECT_EQ(tight.requests, 3u);
  EXPECT_EQ(tight.unit_ms, 10'000);
  EXPECT_EQ(tight.source, "proj/policies.yaml:2:5");
  EXPECT_FALSE(tight.builtin);
  EXPECT_EQ(r.snapshot->apis.at(0)->tier, &tight);
  // A policy named like a built-in one replaces it, as in postern.yaml.
  EXPECT_EQ(t.resource.at("10kPerMin").requests, 20000u);
  EXPECT_EQ(t.resource.at("20kPerMin").requests, 20000u);
  EXPECT_TRUE(t.resource.at("20kPerMin").builtin);
  EXPECT_EQ(t.application.at("Weekly").unit_ms, 7 * 86'400'000LL);
  EXPECT_EQ(t.subscription.at("Partner").requests, 5000u);
  EXPECT_EQ(t.subscription.at("Partner").unit_ms, 3'600'000);
  EXPECT_EQ(t.subscription.at("Partner").burst, 20u);
  EXPECT_EQ(t.subscription.at("Download").bytes, 10u << 20);
  EXPECT_EQ(t.subscription.at("Download").requests, 0u);
  EXPECT_TRUE(t.subscription.at("Gold").builtin);
  EXPECT_EQ(t.default_subscription_tier, "Partner");
}

TEST_F(ProjectTest, PoliciesYamlMistakesAndWhatPosternCannotEnforce) {
  write("postern.yaml", std::string(kMinimalGateway) +
                            "throttling:\n  tiers:\n    resource:\n      Tight: {requests: 1, per: second}\n");
  write("apis/a.yaml", kApi);
  write("policies.yaml", R"(resourcePolicies:
  - Tight: {count: 3, unitTime: 1, timeUnit: min}
  - Monthly: {count: 3, unitTime: 1, timeUnit: month}
  - Typo: {cuont: 3, timeUnit: min}
  - NoUnit: {count: 3}
  - Tight: {count: 4, timeUnit: min}
applicationPolicies:
  - Half: {dataAmount: 5, timeUnit: min}
  - Spike: {count: 5, timeUnit: min, rateLimitCount: 2, rateLimitTimeUnit: min}
  - Unlimited: {count: 1, timeUnit: min}
subscriptionPolicies:
  - Billing: {count: 5, timeUnit: min, stopOnQuotaReach: false}
customPolicies: []
)");
  auto r = load();
  EXPECT_FALSE(r.snapshot);
  EXPECT_THAT(
      errors(r),
      ElementsAre(
          "proj/policies.yaml:3:48: 'timeUnit' month is not supported; months and years vary in length and "
          "Postern's windows are fixed, so write it in days (e.g. unitTime: 30, timeUnit: day)",
          "proj/policies.yaml:4:12: unknown key 'cuont' in policy 'Typo'; did you mean 'count'?",
          "proj/policies.yaml:5:5: policy 'NoUnit' needs 'timeUnit' (sec, min, hour or day), e.g. {count: 100, "
          "unitTime: 1, timeUnit: min}",
          "proj/policies.yaml:6:5: policy 'Tight' is defined twice in 'resourcePolicies' (first at "
          "proj/policies.yaml:2:5)",
          "proj/policies.yaml:8:5: policy 'Half' needs both 'dataAmount' and 'dataUnit' (KB, MB or GB) for a "
          "bandwidth quota",
          "proj/policies.yaml:9:76: 'rateLimitTimeUnit' min is not supported; Postern's spike arrest (burst) is "
          "per second: write the limit per sec",
          "proj/policies.yaml:13:1: unknown key 'customPolicies' in policies.yaml",
          "proj/postern.yaml:6:7: tier 'Tight' is also defined in policies.yaml (at proj/policies.yaml:2:5); "
          "define it in one place, here or there"));
  EXPECT_THAT(warnings(r),
              ElementsAre("proj/policies.yaml:10:5: warning: 'Unlimited' is built in (never counted), as in WSO2, "
                          "so this definition is ignored; remove it",
                          "proj/policies.yaml:12:40: warning: 'stopOnQuotaReach: false' is not supported by Postern; "
                          "WSO2 lets calls past the quota through (only notifying), Postern refuses them with 429 "
                          "like any subscription tier; remove it, or raise the quota if calls past it must not be "
                          "refused"));
}

}  // namespace
}  // namespace postern::config::testing
