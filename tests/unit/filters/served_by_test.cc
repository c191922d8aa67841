// The "Adding a filter" example of docs/architecture.md, compiled and run: a filter that
// answers OPTIONS itself and adds a response header to everything else needs its own
// code, one registry entry, and a test like this one — nothing in the engine or session.
#include <gtest/gtest.h>

#include "filters/registry.h"
#include "request_fixture.h"

namespace postern::filters {
namespace {

class ServedByFilter final : public Filter {
 public:
  static std::shared_ptr<const Filter> for_route(const FilterServices& /*services*/, const config::Route& r) {
    return r.api ? std::make_shared<ServedByFilter>() : nullptr;  // null: not on this route
  }
  std::string_view name() const override { return "served_by"; }
  Hooks hooks() const override { return {.response_head = true}; }
  FilterStatus on_request(RequestContext& ctx) const override {
    if (ctx.request.method != "OPTIONS") return FilterStatus::kContinue;
    ctx.reply = error_reply(204, 0, "", "", ReplyReason::kServed, ErrorSource::kNone);
    ctx.reply.content_type = "text/plain";  // not the JSON error: an empty 204
    return FilterStatus::kReply;
  }
  void on_response_head(RequestContext& ctx, ResponseInfo& /*response*/) const override {
    ctx.response_headers.set("X-Served-By", "postern");
  }
};

TEST(AddingAFilter, OneRegistryLineMakesItPartOfTheChain) {
  testing::RequestFixture fx;
  fx.make_route_open();
  FilterServices services;
  services.snapshot = std::make_shared<config::Snapshot>();
  std::vector<FilterFactory> registry(filter_registry().begin(), filter_registry().end());
  registry.push_back({"served_by", &ServedByFilter::for_route});  // the registry line
  FilterChain chain = build_chain(services, fx.route(), registry);
  ASSERT_EQ(chain.at(chain.size() - 1).name(), "served_by");

  auto& preflight = fx.request("OPTIONS /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(chain.run(preflight), FilterStatus::kReply);
  EXPECT_EQ(preflight.reply.status, 204);
  EXPECT_EQ(preflight.reply.metric, ReplyReason::kServed);
  ResponseInfo local{204, true};
  chain.response_head(preflight, local);
  EXPECT_EQ(preflight.response_headers.added(), "X-Served-By: postern\r\n");

  auto& get = fx.request("GET /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(chain.run(get), FilterStatus::kContinue);
  ResponseInfo upstream{200, false};
  chain.response_head(get, upstream);
  EXPECT_TRUE(get.response_headers.removes("x-served-by"));  // a backend's own copy is replaced
  EXPECT_EQ(get.response_headers.added(), "X-Served-By: postern\r\n");
}

}  // namespace
}  // namespace postern::filters
