#include "filters/blocking/blocking_filter.h"

#include <gtest/gtest.h>

#include "request_fixture.h"

namespace postern::filters {
namespace {

using testing::RequestFixture;

throttle::BlockList blocks(std::initializer_list<std::pair<throttle::BlockRule::Type, std::string>> rules) {
  std::vector<throttle::BlockRule> v;
  for (const auto& [type, value] : rules) {
    throttle::BlockRule& r = v.emplace_back();
    r.type = type;
    r.value = value;
  }
  return throttle::BlockList(std::move(v));
}

TEST(BlockingFilter, CallerStageRefusesABlockedAddressOrApi) {
  RequestFixture fx;
  BlockingFilter caller(BlockingFilter::Stage::kCaller, fx.api());
  auto list = blocks({{throttle::BlockRule::Type::kIp, "192.0.2.0/24"}});
  auto& ctx = fx.request("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\n\r\n");
  ctx.block_list = &list;
  ASSERT_EQ(caller.on_request(ctx), FilterStatus::kReply);
  EXPECT_EQ(ctx.reply.status, 403);
  EXPECT_EQ(ctx.reply.code, 900805);
  EXPECT_EQ(ctx.reply.description, "You have been blocked from accessing the resource (IP address)");
  EXPECT_EQ(ctx.reply.metric, ReplyReason::kBlocked);
  EXPECT_EQ(ctx.reply.source, ErrorSource::kBlocked);
  EXPECT_EQ(ctx.reply.log_reason, "blocked_ip");

  auto api = blocks({{throttle::BlockRule::Type::kApi, "Pets:1.0.0"}});
  auto& ctx2 = fx.request("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\n\r\n");
  ctx2.block_list = &api;
  ASSERT_EQ(caller.on_request(ctx2), FilterStatus::kReply);
  EXPECT_EQ(ctx2.reply.log_reason, "blocked_api");
}

TEST(BlockingFilter, ConsumerStageRefusesABlockedApplicationOrUserOnly) {
  RequestFixture fx;
  BlockingFilter consumer(BlockingFilter::Stage::kConsumer, fx.api());
  auto list = blocks({{throttle::BlockRule::Type::kApplication, "app-9"},
                      {throttle::BlockRule::Type::kUser, "mallory"},
                      {throttle::BlockRule::Type::kIp, "192.0.2.7"}});
  auto& ctx = fx.request("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\n\r\n");
  ctx.block_list = &list;
  EXPECT_EQ(consumer.on_request(ctx), FilterStatus::kContinue);  // nobody authenticated: nothing to check
  auto alice = std::make_shared<Identity>();
  alice->subject = "alice";
  ctx.identity = alice;
  EXPECT_EQ(consumer.on_request(ctx), FilterStatus::kContinue);  // the address is the caller stage's business
  auto app = std::make_shared<Identity>(*alice);
  app->application_id = "app-9";
  ctx.identity = app;
  ASSERT_EQ(consumer.on_request(ctx), FilterStatus::kReply);
  EXPECT_EQ(ctx.reply.log_reason, "blocked_application");
  auto mallory = std::make_shared<Identity>();
  mallory->subject = "mallory";
  ctx.identity = mallory;
  ASSERT_EQ(consumer.on_request(ctx), FilterStatus::kReply);
  EXPECT_EQ(ctx.reply.log_reason, "blocked_user");
}

TEST(BlockingFilter, NoListNoCost) {
  RequestFixture fx;
  BlockingFilter caller(BlockingFilter::Stage::kCaller, fx.api());
  auto& ctx = fx.request("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(caller.on_request(ctx), FilterStatus::kContinue);
}

}  // namespace
}  // namespace postern::filters
