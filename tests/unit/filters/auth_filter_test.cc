#include "filters/auth/auth_filter.h"

#include <gtest/gtest.h>

#include "jose/key.h"
#include "jose/signer.h"
#include "request_fixture.h"

namespace postern::filters {
namespace {

using testing::RequestFixture;

const std::string kSecret(48, 's');

struct AuthFixture : RequestFixture {
  AuthFixture() {
    auto snapshot = std::make_shared<config::Snapshot>();
    config::JwtIssuer iss;
    iss.name = "t";
    iss.issuer = "iss-1";
    iss.hmac_secret = kSecret;
    iss.algorithms = {"HS256"};
    snapshot->gateway.security.issuers.push_back(iss);
    snapshot->gateway.security.users.push_back(config::BasicUser{"bob", "$scrypt$unused", {}, ""});
    services.snapshot = snapshot;
    services.slots = std::make_shared<SlotRegistry>();
    std::string err;
    services.jwt = JwtAuthenticator::build(snapshot->gateway.security, 1, *services.slots, err);
    EXPECT_TRUE(services.jwt) << err;
    services.credentials = std::make_shared<StaticCredentials>(snapshot->gateway.security, *services.slots);
    auto sec = std::make_shared<config::RouteSecurity>();
    sec->oauth2 = true;
    sec->basic = true;
    route().security = sec;
    slots_ = std::make_unique<WorkerSlots>(services.slots, SlotEnv{&loop(), 0});
  }
  // A context that uses the slots of these services.
  RequestContext& request_with_slots(std::string head) {
    RequestContext& ctx = request(std::move(head));
    slot_ctx_.reset();
    slot_ctx_.emplace(ctx.request, ctx.path, ctx.route, *slots_, ctx.now_ms);
    slot_ctx_->client_ip = ctx.client_ip;
    return *slot_ctx_;
  }
  std::string token(const std::string& payload) {
    jose::Key key;
    EXPECT_TRUE(jose::Key::from_secret(kSecret, key).ok());
    std::string t;
    EXPECT_TRUE(jose::sign(jose::Alg::kHS256, key, "", payload, t).ok());
    return t;
  }
  FilterServices services;
  std::unique_ptr<WorkerSlots> slots_;
  std::optional<RequestContext> slot_ctx_;
};

TEST(AuthFilter, MissingCredentialsIsAnAuthFailureWithChallenges) {
  AuthFixture fx;
  AuthFilter auth(fx.services, fx.route().security, fx.api(), false);
  auto& ctx = fx.request_with_slots("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(auth.on_request(ctx), FilterStatus::kReply);
  EXPECT_EQ(ctx.reply.status, 401);
  EXPECT_EQ(ctx.reply.code, 900902);
  EXPECT_EQ(ctx.reply.metric, ReplyReason::kUnauthorized);
  EXPECT_EQ(ctx.reply.source, ErrorSource::kAuth);
  EXPECT_NE(ctx.reply.headers.find("WWW-Authenticate: Bearer"), std::string::npos);
  EXPECT_NE(ctx.reply.headers.find("WWW-Authenticate: Basic"), std::string::npos);
}

TEST(AuthFilter, AValidJwtContinuesWithTheIdentityAndStripsTheCredential) {
  AuthFixture fx;
  AuthFilter auth(fx.services, fx.route().security, fx.api(), false);
  std::string t = fx.token(R"({"iss":"iss-1","sub":"alice","exp":9999999999})");
  auto& ctx = fx.request_with_slots("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + t +
                                    "\r\n\r\n");
  ASSERT_EQ(auth.on_request(ctx), FilterStatus::kContinue);
  ASSERT_TRUE(ctx.identity);
  EXPECT_EQ(ctx.identity->subject, "alice");
  EXPECT_TRUE(ctx.upstream_headers.removes("Authorization"));
}

TEST(AuthFilter, ABadTokenIsRefusedTheSameWayWhateverIsWrong) {
  AuthFixture fx;
  AuthFilter auth(fx.services, fx.route().security, fx.api(), false);
  std::string forged = fx.token(R"({"iss":"iss-1","sub":"alice","exp":9999999999})");
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  auto& ctx = fx.request_with_slots("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + forged +
                                    "\r\n\r\n");
  ASSERT_EQ(auth.on_request(ctx), FilterStatus::kReply);
  EXPECT_EQ(ctx.reply.code, 900901);
  EXPECT_EQ(ctx.reply.description, "Make sure you have provided the correct security credentials");
  EXPECT_FALSE(ctx.identity);
}

TEST(AuthFilter, AnUnverifiedBasicPasswordWaitsOffTheWorker) {
  AuthFixture fx;
  PasswordChecker checker(1, 4);
  fx.services.password_checker = &checker;
  AuthFilter auth(fx.services, fx.route().security, fx.api(), false);
  auto& ctx = fx.request_with_slots(
      "GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Ym9iOnB3\r\n\r\n");
  ASSERT_EQ(auth.on_request(ctx), FilterStatus::kWait);  // bob:pw, never verified before
  ASSERT_TRUE(ctx.wait.has_value());
  bool done = false;
  net::asio::co_spawn(fx.loop(), std::move(*ctx.wait), [&](std::exception_ptr) { done = true; });
  fx.loop().run();
  ASSERT_TRUE(done);
  ASSERT_EQ(auth.on_resume(ctx), FilterStatus::kReply);  // the stored hash is not a real one
  EXPECT_EQ(ctx.reply.code, 900901);
  EXPECT_EQ(ctx.reply.log_reason, "bad_password");
}

}  // namespace
}  // namespace postern::filters
