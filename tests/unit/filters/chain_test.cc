// The filter engine's promises, without sockets: order, local replies, waits (resumed or
// cancelled), response hooks over the filters that ran, body replacement, per-worker slots.
#include "filters/chain.h"

#include <gtest/gtest.h>

#include "filters/registry.h"
#include "request_fixture.h"

namespace postern::filters {
namespace {

using testing::RequestFixture;

// Records what the engine asked of it; behaves as told.
class Probe final : public Filter {
 public:
  struct Log {
    std::string calls;
  };
  Probe(std::string name, Log& log, FilterStatus on_request = FilterStatus::kContinue)
      : name_(std::move(name)), log_(log), status_(on_request) {}
  std::string_view name() const override { return name_; }
  Hooks hooks() const override { return {.response_head = true, .response_body = true, .complete = true}; }
  FilterStatus on_request(RequestContext& ctx) const override {
    log_.calls += name_ + ".request ";
    if (status_ == FilterStatus::kReply)
      ctx.reply = error_reply(418, 418, "teapot", "", ReplyReason::kServed, ErrorSource::kNone);
    if (status_ == FilterStatus::kWait) {
      ctx.data<int>() = 7;  // kept across the wait
      ctx.wait = []() -> net::awaitable<void> { co_return; }();
    }
    return status_;
  }
  FilterStatus on_resume(RequestContext& ctx) const override {
    log_.calls += name_ + ".resume(" + std::to_string(ctx.data<int>()) + ") ";
    return FilterStatus::kContinue;
  }
  void on_cancel(RequestContext& /*ctx*/) const override { log_.calls += name_ + ".cancel "; }
  void on_response_head(RequestContext& ctx, ResponseInfo& r) const override {
    log_.calls += name_ + ".head ";
    ctx.response_headers.add("X-" + name_, "1");
    if (r.status == 200) r.status = 203;
  }
  void on_response_body(RequestContext& /*ctx*/, std::string& data, bool end) const override {
    log_.calls += name_ + ".body ";
    data = "[" + name_ + ":" + data + (end ? "$" : "") + "]";
  }
  void on_complete(RequestContext& /*ctx*/, const RequestTotals& t) const override {
    log_.calls += name_ + ".complete(" + std::to_string(t.status) + ") ";
  }

 private:
  std::string name_;
  Log& log_;
  FilterStatus status_;
};

FilterChain chain_of(std::initializer_list<std::shared_ptr<const Filter>> filters) {
  FilterChain c;
  for (const auto& f : filters) c.add(f);
  return c;
}

TEST(FilterChain, RunsInOrderAndResponseHooksInReverse) {
  RequestFixture fx;
  Probe::Log log;
  auto chain = chain_of({std::make_shared<Probe>("a", log), std::make_shared<Probe>("b", log)});
  auto& ctx = fx.request("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(chain.run(ctx), FilterStatus::kContinue);
  ResponseInfo info{200, false};
  chain.response_head(ctx, info);
  EXPECT_EQ(info.status, 203);
  std::string body = "x";
  chain.response_body(ctx, body, true);
  chain.complete(ctx, {203, 0, 0});
  EXPECT_EQ(log.calls, "a.request b.request b.head a.head b.body a.body b.complete(203) a.complete(203) ");
  EXPECT_EQ(body, "[a:[b:x$]$]");  // each filter replaced the body in turn
  EXPECT_EQ(ctx.response_headers.added(), "X-b: 1\r\nX-a: 1\r\n");
}

TEST(FilterChain, ALocalReplyStopsTheChainAndOnlyFiltersThatRanSeeTheResponse) {
  RequestFixture fx;
  Probe::Log log;
  auto chain = chain_of({std::make_shared<Probe>("a", log), std::make_shared<Probe>("b", log, FilterStatus::kReply),
                         std::make_shared<Probe>("c", log)});
  auto& ctx = fx.request("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(chain.run(ctx), FilterStatus::kReply);
  EXPECT_TRUE(ctx.replied);
  EXPECT_EQ(ctx.reply.status, 418);
  ResponseInfo info{418, true};
  chain.response_head(ctx, info);
  EXPECT_EQ(log.calls, "a.request b.request b.head a.head ");
}

TEST(FilterChain, AWaitResumesTheWaitingFilterThenTheRest) {
  RequestFixture fx;
  Probe::Log log;
  auto chain = chain_of({std::make_shared<Probe>("a", log, FilterStatus::kWait), std::make_shared<Probe>("b", log)});
  auto& ctx = fx.request("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(chain.run(ctx), FilterStatus::kWait);
  ASSERT_TRUE(ctx.wait.has_value());
  bool waited = false;
  net::asio::co_spawn(fx.loop(), std::move(*ctx.wait), [&](std::exception_ptr) { waited = true; });
  fx.loop().run();
  ASSERT_TRUE(waited);
  EXPECT_EQ(chain.resume(ctx), FilterStatus::kContinue);
  EXPECT_FALSE(ctx.wait.has_value());
  EXPECT_EQ(log.calls, "a.request a.resume(7) b.request ");
}

TEST(FilterChain, ACancelledWaitTellsTheWaitingFilterOnly) {
  RequestFixture fx;
  Probe::Log log;
  auto chain = chain_of({std::make_shared<Probe>("a", log), std::make_shared<Probe>("b", log, FilterStatus::kWait),
                         std::make_shared<Probe>("c", log)});
  auto& ctx = fx.request("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(chain.run(ctx), FilterStatus::kWait);
  chain.cancel(ctx);
  EXPECT_FALSE(ctx.wait.has_value());
  EXPECT_EQ(log.calls, "a.request b.request b.cancel ");
}

TEST(FilterChain, RegistryBuildsOnlyWhatARouteNeeds) {
  // An open route without throttling, backend JWT or blocking needs: only the caller's
  // blocking check (blocking conditions can be added at run time).
  RequestFixture fx;
  fx.make_route_open();
  FilterServices services;
  services.snapshot = std::make_shared<config::Snapshot>();
  FilterChain chain = build_chain(services, fx.route());
  ASSERT_EQ(chain.size(), 1u);
  EXPECT_EQ(chain.at(0).name(), "blocking.caller");
}

TEST(WorkerSlots, EachWorkerHasItsOwnObject) {
  auto registry = std::make_shared<SlotRegistry>();
  int made = 0;
  Slot<std::string> slot = registry->declare<std::string>([&made](const SlotEnv& env) {
    ++made;
    return std::make_unique<std::string>("worker " + std::to_string(env.worker_id));
  });
  WorkerSlots w0(registry, SlotEnv{nullptr, 0});
  WorkerSlots w1(registry, SlotEnv{nullptr, 1});
  EXPECT_EQ(made, 0);  // made on first use
  w0.get(slot) += " was here";
  EXPECT_EQ(w0.get(slot), "worker 0 was here");
  EXPECT_EQ(w1.get(slot), "worker 1");  // worker 1 does not see worker 0's state
  EXPECT_EQ(made, 2);
  EXPECT_EQ(&w0.get(slot), &w0.get(slot));
}

}  // namespace
}  // namespace postern::filters
