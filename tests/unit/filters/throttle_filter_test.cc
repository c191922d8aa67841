#include "filters/throttle/throttle_filter.h"

#include <gtest/gtest.h>

#include "request_fixture.h"

namespace postern::filters {
namespace {

using testing::RequestFixture;

struct ThrottleFixture : RequestFixture {
  ThrottleFixture() {
    tier.name = "Two";
    tier.requests = 2;
    tier.bytes = 1000;
    tier.unit_ms = 60'000;
    config.rate_limit_headers = true;
    route().resource_tier = &tier;
  }
  config::ThrottleTier tier;
  config::ThrottlingConfig config;
  std::shared_ptr<throttle::CounterStore> store = std::make_shared<throttle::CounterStore>(
      throttle::CounterStore::Options{});
};

TEST(ThrottleFilter, CountsAddsRateLimitHeadersAndRefusesOverTheLimit) {
  ThrottleFixture fx;
  fx.config.unauthenticated_tier = "Unlimited";
  ThrottleFilter filter(fx.store, fx.config, fx.route());
  for (int i = 0; i < 2; ++i) {
    auto& ctx = fx.request("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(filter.on_request(ctx), FilterStatus::kContinue);
    EXPECT_TRUE(ctx.response_headers.adds("RateLimit-Remaining"));
    EXPECT_NE(ctx.response_headers.added().find("RateLimit-Limit: 2\r\n"), std::string::npos);
  }
  auto& ctx = fx.request("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(filter.on_request(ctx), FilterStatus::kReply);
  EXPECT_EQ(ctx.reply.status, 429);
  EXPECT_EQ(ctx.reply.code, 900802);
  EXPECT_EQ(ctx.reply.metric, ReplyReason::kThrottled);
  EXPECT_EQ(ctx.reply.source, ErrorSource::kThrottle);
  EXPECT_EQ(ctx.reply.log_reason, "throttled_resource");
  EXPECT_NE(ctx.reply.headers.find("Retry-After: "), std::string::npos);
  EXPECT_NE(ctx.reply.headers.find("RateLimit-Remaining: 0\r\n"), std::string::npos);
  EXPECT_TRUE(ctx.response_headers.empty());  // a refused call adds nothing to other replies
}

TEST(ThrottleFilter, ChargesBandwidthWhenTheRequestCompletes) {
  ThrottleFixture fx;
  fx.config.unauthenticated_tier = "Unlimited";
  fx.tier.requests = 0;  // a bandwidth-only tier
  ThrottleFilter filter(fx.store, fx.config, fx.route());
  auto& ctx = fx.request("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(filter.on_request(ctx), FilterStatus::kContinue);
  filter.on_complete(ctx, {200, 400, 700});  // 1100 bytes > 1000
  auto& next = fx.request("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(filter.on_request(next), FilterStatus::kReply);
  EXPECT_EQ(next.reply.status, 429);
}

}  // namespace
}  // namespace postern::filters
