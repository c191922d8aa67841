// Backend host names without sockets: a HostRecord's record sets as a worker's HostCache
// sees them, and the attempt order over endpoints whose addresses come from it.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "config/address.h"
#include "upstream/host_cache.h"
#include "upstream/load_balancer.h"

namespace postern::upstream {
namespace {

config::SocketAddress v4(const char* ip, uint16_t port) {
  config::SocketAddress a;
  auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
  in->sin_family = AF_INET;
  in->sin_port = htons(port);
  inet_pton(AF_INET, ip, &in->sin_addr);
  a.length = sizeof(sockaddr_in);
  a.text = config::format_socket_address(reinterpret_cast<sockaddr*>(&a.storage));
  return a;
}

std::shared_ptr<HostRecord> record(uint32_t id, const char* host = "orders") {
  return std::make_shared<HostRecord>(id, host, 8080, false, nullptr);
}

TEST(HostCache, NothingBeforeTheFirstRecordSet) {
  HostCache cache(nullptr);
  auto r = record(0);
  EXPECT_EQ(r->version(), 0u);
  EXPECT_EQ(cache.get(*r), nullptr);
}

TEST(HostCache, FollowsEachPublishedRecordSet) {
  HostCache cache(nullptr);
  auto r = record(3);
  r->publish({v4("10.0.0.1", 8080), v4("10.0.0.2", 8080)});
  auto first = cache.get(*r);
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(first->targets.size(), 2u);
  EXPECT_EQ(first->targets[0].pool_key, "http://10.0.0.1:8080/orders");
  EXPECT_EQ(first->targets[1].tls_host, "orders");
  EXPECT_EQ(cache.get(*r), first) << "unchanged version: the same targets, nothing rebuilt";

  r->publish({v4("10.0.0.3", 8080)});
  auto second = cache.get(*r);
  ASSERT_EQ(second->targets.size(), 1u);
  EXPECT_EQ(second->targets[0].pool_key, "http://10.0.0.3:8080/orders");
  // A request that started with the first set still holds valid targets.
  EXPECT_EQ(first->targets[0].pool_key, "http://10.0.0.1:8080/orders");
}

TEST(HostRecord, RefreshRequestsAreTakenOnce) {
  auto r = record(0);
  EXPECT_FALSE(r->take_refresh_request());
  r->request_refresh();
  r->request_refresh();
  EXPECT_TRUE(r->take_refresh_request());
  EXPECT_FALSE(r->take_refresh_request());
}

class DynamicOrder : public ::testing::Test {
 protected:
  void SetUp() override {
    group.type = config::EndpointGroup::Type::kFailover;
    group.endpoints.resize(2);
    for (auto& e : group.endpoints) {
      e.host = "orders";
      e.port = 8080;
      e.dynamic = true;
    }
    set.group = &group;
    set.endpoints.resize(2);
    for (size_t i = 0; i < 2; ++i) {
      set.endpoints[i].endpoint = &group.endpoints[i];
      set.endpoints[i].host = hosts[i];
    }
  }
  std::vector<std::string> attempts(HostCache* cache) {
    AttemptOrder order(set, 0, cache);
    std::vector<std::string> out;
    const EndpointTargets* e = nullptr;
    const Target* t = nullptr;
    while (order.next(e, t)) out.emplace_back(t->pool_key);
    unresolved_only = order.only_unresolved();
    return out;
  }
  config::EndpointGroup group;
  EndpointSet set;
  std::shared_ptr<HostRecord> hosts[2] = {record(0, "orders"), record(1, "orders-b")};
  HostCache cache{nullptr};
  bool unresolved_only = false;
};

TEST_F(DynamicOrder, UnresolvedEverywhereIsReportedAsSuch) {
  EXPECT_TRUE(attempts(&cache).empty());
  EXPECT_TRUE(unresolved_only);
  EXPECT_TRUE(attempts(nullptr).empty());
  EXPECT_TRUE(unresolved_only);
}

TEST_F(DynamicOrder, ResolvedEndpointsAreTriedInOrderSkippingUnresolvedOnes) {
  hosts[1]->publish({v4("10.0.0.7", 8080), v4("10.0.0.8", 8080)});
  EXPECT_EQ(attempts(&cache),
            (std::vector<std::string>{"http://10.0.0.7:8080/orders-b", "http://10.0.0.8:8080/orders-b"}));
  EXPECT_FALSE(unresolved_only);
  hosts[0]->publish({v4("10.0.0.1", 8080)});
  EXPECT_EQ(attempts(&cache), (std::vector<std::string>{"http://10.0.0.1:8080/orders", "http://10.0.0.7:8080/orders-b",
                                                         "http://10.0.0.8:8080/orders-b"}));
}

}  // namespace
}  // namespace postern::upstream
