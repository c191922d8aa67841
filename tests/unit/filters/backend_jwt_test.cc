#include "filters/backend_jwt/backend_jwt.h"

#include <gtest/gtest.h>

#include "request_fixture.h"

namespace postern::filters {
namespace {

using testing::RequestFixture;

TEST(BackendJwtFilter, SetsTheAssertionAndDropsClientCopies) {
  RequestFixture fx;
  jose::Key key;
  ASSERT_TRUE(jose::Key::from_secret(std::string(48, 'k'), key).ok());
  config::BackendJwt cfg;
  cfg.header = "X-JWT-Assertion";
  cfg.issuer = "gw";
  BackendJwtFilter filter(BackendJwtSigner::with_key(key, jose::Alg::kHS256, cfg, fx.registry()));
  WorkerSlots slots(std::shared_ptr<SlotRegistry>(&fx.registry(), [](SlotRegistry*) {}), SlotEnv{nullptr, 0});
  auto& open = fx.request("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\nX-JWT-Assertion: forged\r\n\r\n");
  RequestContext ctx(open.request, open.path, open.route, slots, open.now_ms);
  ASSERT_EQ(filter.on_request(ctx), FilterStatus::kContinue);
  EXPECT_TRUE(ctx.upstream_headers.removes("x-jwt-assertion"));  // an open route: dropped, nothing added
  EXPECT_TRUE(ctx.upstream_headers.added().empty());
  auto id = std::make_shared<Identity>();
  id->subject = "alice";
  ctx.identity = id;
  ASSERT_EQ(filter.on_request(ctx), FilterStatus::kContinue);
  EXPECT_EQ(ctx.upstream_headers.added().rfind("x-jwt-assertion: ey", 0), 0u);
}

TEST(BackendJwtFilter, ASigningFailureIsTheGatewaysNotAuths) {
  // A key that cannot make the signature asked for: the filter answers 500, counted as an
  // internal failure of the gateway, never as an authentication failure.
  RequestFixture fx;
  jose::Key key;
  ASSERT_TRUE(jose::Key::from_secret(std::string(48, 'k'), key).ok());
  config::BackendJwt cfg;
  cfg.header = "X-JWT-Assertion";
  BackendJwtFilter filter(BackendJwtSigner::with_key(key, jose::Alg::kRS256, cfg, fx.registry()));
  WorkerSlots slots(std::shared_ptr<SlotRegistry>(&fx.registry(), [](SlotRegistry*) {}), SlotEnv{nullptr, 0});
  auto& base = fx.request("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\n\r\n");
  RequestContext ctx(base.request, base.path, base.route, slots, base.now_ms);
  ctx.identity = std::make_shared<Identity>();
  ASSERT_EQ(filter.on_request(ctx), FilterStatus::kReply);
  EXPECT_EQ(ctx.reply.status, 500);
  EXPECT_EQ(ctx.reply.metric, ReplyReason::kInternal);
  EXPECT_EQ(ctx.reply.source, ErrorSource::kGateway);
  EXPECT_STREQ(reply_reason_name(ctx.reply.metric), "internal");
  EXPECT_EQ(ctx.reply.log_reason, "backend_jwt_sign_failed");
}

}  // namespace
}  // namespace postern::filters
