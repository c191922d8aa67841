// Throttling end to end, one node: every level with its WSO2 code and the RateLimit-*
// headers, exactness with both workers busy, per-consumer keys, bandwidth tiers, blocking
// conditions through the (authenticated) admin API. Tiers use hour windows so a test never
// straddles a window boundary by accident.
#include <atomic>
#include <thread>

#include "fixture.h"

namespace postern::itest {
namespace {

class Throttling : public GatewayTest {
 protected:
  void SetUp() override {
    key_ = tmp / "jwt.key";
    pub_ = tmp / "jwt.pub.pem";
    ASSERT_EQ(make_signing_key(key_, pub_, "EC"), "");
  }

  // Open API (Unauthenticated tier) with an API-level tier, an API with a resource tier on
  // one operation, and a secured API whose subscription/application tiers come from tokens.
  void start(const std::string& throttling, const std::string& workers = "2", const std::string& admin_extra = "",
             std::vector<std::string> forwarding = {}) {
    start_echo();
    GatewayOptions o;
    o.workers = workers;
    o.forwarding = std::move(forwarding);
    o.admin_extra = admin_extra;
    o.security =
        "  issuers:\n"
        "    - {name: test, issuer: test-issuer, certificate: " +
        pub_.string() + "}\n";
    o.throttling = throttling;
    o.apis["open.yaml"] =
        "openapi: 3.0.0\n"
        "info: {title: Open, version: '1'}\n"
        "x-wso2-basePath: /open\n"
        "x-wso2-disable-security: true\n"
        "x-wso2-production-endpoints: {urls: [\"" +
        echo->url() +
        "\"]}\n"
        "paths:\n"
        "  /a: {get: {}}\n";
    o.apis["limited.yaml"] =
        "openapi: 3.0.0\n"
        "info: {title: Limited, version: '1'}\n"
        "x-wso2-basePath: /limited\n"
        "x-wso2-disable-security: true\n"
        "x-wso2-throttling-tier: Three\n"
        "x-wso2-production-endpoints: {urls: [\"" +
        echo->url() +
        "\"]}\n"
        "paths:\n"
        "  /a: {get: {}}\n"
        "  /b: {get: {x-wso2-throttling-tier: Unlimited}}\n";  // API level wins
    o.apis["res.yaml"] =
        "openapi: 3.0.0\n"
        "info: {title: Res, version: '1'}\n"
        "x-wso2-basePath: /res\n"
        "x-wso2-disable-security: true\n"
        "x-wso2-production-endpoints: {urls: [\"" +
        echo->url() +
        "\"]}\n"
        "paths:\n"
        "  /slow: {get: {x-wso2-throttling-tier: Two}}\n"
        "  /free: {get: {}}\n";
    o.apis["shop.yaml"] =
        "openapi: 3.0.0\n"
        "info: {title: Shop, version: '2'}\n"
        "x-wso2-basePath: /shop\n"
        "x-wso2-production-endpoints: {urls: [\"" +
        echo->url() +
        "\"]}\n"
        "paths:\n"
        "  /items: {get: {}}\n";
    ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  }

  std::string token(const std::string& args) { return mint_token(key_, "test-issuer", args); }

  std::optional<Response> get(const std::string& path, const std::string& bearer = "",
                              std::vector<std::pair<std::string, std::string>> h = {}) {
    if (!bearer.empty()) h.push_back({"Authorization", "Bearer " + bearer});
    return http_request(port(), "GET", path, h);
  }

  static int code_of(const Response& r) {
    auto j = r.json();
    return j ? int((*j)["code"].num()) : -1;
  }

  std::optional<Response> admin(const std::string& method, const std::string& target, const std::string& token = "") {
    std::vector<std::pair<std::string, std::string>> h;
    if (!token.empty()) h.push_back({"Authorization", "Bearer " + token});
    return http_request(gw->admin_port(), method, target, h);
  }

  // The tiers the test APIs name; every test's config has them.
  static constexpr const char* kResourceTiers =
      "    resource:\n"
      "      Three: {requests: 3, per: hour}\n"
      "      Two: {requests: 2, per: hour}\n"
      "      Hundred: {requests: 100, per: hour}\n";
  static std::string tiers(const std::string& more) { return "  tiers:\n" + std::string(kResourceTiers) + more; }
  static constexpr const char* kTiers =
      "  tiers:\n"
      "    resource:\n"
      "      Three: {requests: 3, per: hour}\n"
      "      Two: {requests: 2, per: hour}\n"
      "    subscription:\n"
      "      Gold: {requests: 3, per: hour}\n"
      "      Roomy: {requests: 100, per: hour}\n"
      "    application:\n"
      "      AppTwo: {requests: 2, per: hour}\n";

  fs::path key_, pub_;
};

TEST_F(Throttling, ApiLevelCodeAndHeaders) {
  ASSERT_NO_FATAL_FAILURE(start(kTiers));
  for (int i = 0; i < 3; ++i) {
    // /a and /b share the API's quota: the API-level tier overrides the operation's.
    auto r = get(i == 1 ? "/limited/b" : "/limited/a");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << i << r->body;
    EXPECT_EQ(r->header("ratelimit-limit").value_or(""), "3");
    EXPECT_EQ(r->header("ratelimit-remaining").value_or(""), std::to_string(2 - i));
    int reset = std::stoi(r->header("ratelimit-reset").value_or("-1"));
    EXPECT_GE(reset, 1);
    EXPECT_LE(reset, 3600);
    EXPECT_EQ(r->header("ratelimit-policy").value_or(""), "3;w=3600, 500;w=60");
  }
  auto r = get("/limited/a");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(code_of(*r), 900800) << r->body;
  EXPECT_EQ((*r->json())["message"].str(), "Message throttled out");
  EXPECT_EQ(r->header("ratelimit-remaining").value_or(""), "0");
  EXPECT_EQ(r->header("ratelimit-limit").value_or(""), "3");
  int retry = std::stoi(r->header("retry-after").value_or("-1"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 3600);
  EXPECT_EQ(r->header("content-type").value_or(""), "application/json");
  // Other APIs are not affected.
  auto other = get("/open/a");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  // The metric counts the refusal.
  auto m = admin("GET", "/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("postern_local_replies_total{reason=\"throttled\"} 1"), std::string::npos) << m->body;
}

TEST_F(Throttling, ResourceLevel) {
  ASSERT_NO_FATAL_FAILURE(start(kTiers));
  for (int i = 0; i < 2; ++i) EXPECT_EQ(get("/res/slow")->status, 200);
  auto r = get("/res/slow");
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(code_of(*r), 900802) << r->body;
  EXPECT_EQ(get("/res/free")->status, 200);  // another resource of the same API
}

TEST_F(Throttling, UnauthenticatedTierPerClientIp) {
  ASSERT_NO_FATAL_FAILURE(start(std::string(kTiers) + "  unauthenticated_tier: Gold\n"));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get("/open/a")->status, 200);
  auto r = get("/open/a");
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(code_of(*r), 900804) << r->body;
  EXPECT_EQ(r->header("ratelimit-policy").value_or(""), "3;w=3600");
}

TEST_F(Throttling, SubscriptionAndApplicationFromTheToken) {
  ASSERT_NO_FATAL_FAILURE(start(kTiers));
  // Subscription tier Gold (3/h), application Unlimited: the 4th call is 900804.
  std::string gold = token("--api Shop:2 --tier Gold --app-id app-1");
  for (int i = 0; i < 3; ++i) ASSERT_EQ(get("/shop/items", gold)->status, 200) << i;
  auto r = get("/shop/items", gold);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(code_of(*r), 900804) << r->body;
  // Another application has its own subscription quota.
  std::string other = token("--api Shop:2 --tier Gold --app-id app-2");
  EXPECT_EQ(get("/shop/items", other)->status, 200);

  // Application tier AppTwo (2/h per application and user), roomy subscription: the 3rd
  // call is 900803, and refusing it does not use up the subscription's quota.
  std::string app = token("--api Shop:2 --tier Roomy --app-id app-3 --app-tier AppTwo --sub alice");
  for (int i = 0; i < 2; ++i) ASSERT_EQ(get("/shop/items", app)->status, 200) << i;
  r = get("/shop/items", app);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(code_of(*r), 900803) << r->body;
  // Another user of the same application has an application quota of their own.
  std::string bob = token("--api Shop:2 --tier Roomy --app-id app-3 --app-tier AppTwo --sub bob");
  EXPECT_EQ(get("/shop/items", bob)->status, 200);
  auto c = admin("GET", "/throttle/counters?key=" + std::string("sub%7Capp-3%7CShop:2"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c->status, 200) << c->body;
  // alice 2 + bob 1 admitted; alice's refused third call was given back.
  EXPECT_EQ((*c->json())["node_count"].num(), 3) << c->body;
}

TEST_F(Throttling, ExactWithAllWorkersBusy) {
  ASSERT_NO_FATAL_FAILURE(start(tiers("") + "  unauthenticated_tier: Unlimited\n"));
  // Re-point the open API at the tier through a reload, so the test also shows a reload
  // keeps counters and applies new tiers.
  std::string doc = read_file(gw->dir() / "apis" / "open.yaml");
  doc.insert(doc.find("paths:"), "x-wso2-throttling-tier: Hundred\n");
  write_file(gw->dir() / "apis" / "open.yaml", doc);
  auto rl = admin("POST", "/reload");
  ASSERT_TRUE(rl);
  ASSERT_EQ(rl->status, 200) << rl->body;

  std::atomic<int> ok{0}, limited{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      Conn c(port());
      for (int i = 0; i < 125; ++i) {
        if (!c.send(make_request("GET", "/open/a"))) {
          ++other;
          return;
        }
        auto r = c.read_response();
        if (!r) {
          ++other;
          return;
        }
        if (r->status == 200) ++ok;
        else if (r->status == 429) ++limited;
        else ++other;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_EQ(limited.load(), 900);
  EXPECT_EQ(other.load(), 0);
}

TEST_F(Throttling, PerConsumerKeyByHeaderAndBurst) {
  ASSERT_NO_FATAL_FAILURE(
      start(tiers("    subscription:\n      PerTenant: {requests: 2, per: hour, key: \"header:X-Tenant\"}\n") +
            "  unauthenticated_tier: PerTenant\n"));
  for (int i = 0; i < 2; ++i) EXPECT_EQ(get("/open/a", "", {{"X-Tenant", "acme"}})->status, 200);
  EXPECT_EQ(get("/open/a", "", {{"X-Tenant", "acme"}})->status, 429);
  EXPECT_EQ(get("/open/a", "", {{"X-Tenant", "globex"}})->status, 200);
}

TEST_F(Throttling, PerConsumerKeyByClaim) {
  ASSERT_NO_FATAL_FAILURE(
      start(tiers("    subscription:\n      PerOrg: {requests: 2, per: hour, key: \"claim:org\"}\n")));
  // Two users of one organisation share its quota; another organisation has its own.
  std::string a1 = token("--api Shop:2 --tier PerOrg --sub u1 --claim org=acme");
  std::string a2 = token("--api Shop:2 --tier PerOrg --sub u2 --claim org=acme");
  std::string g1 = token("--api Shop:2 --tier PerOrg --sub u3 --claim org=globex");
  EXPECT_EQ(get("/shop/items", a1)->status, 200);
  EXPECT_EQ(get("/shop/items", a2)->status, 200);
  auto r = get("/shop/items", a1);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(code_of(*r), 900804);
  EXPECT_EQ(get("/shop/items", g1)->status, 200);
}

TEST_F(Throttling, BurstControlPerSecond) {
  ASSERT_NO_FATAL_FAILURE(start(tiers("    subscription:\n      Spiky: {requests: 1000, per: hour, burst: 2}\n") +
                                "  unauthenticated_tier: Spiky\n"));
  // Three calls inside one second: the third is refused by the burst limit. Retry within a
  // fresh second if the calls happened to straddle one.
  bool refused = false;
  for (int attempt = 0; attempt < 3 && !refused; ++attempt) {
    int statuses[3];
    for (int& s : statuses) s = get("/open/a")->status;
    refused = statuses[2] == 429;
    if (refused) {
      EXPECT_EQ(statuses[0], 200);
      EXPECT_EQ(statuses[1], 200);
    }
    sleep_for(1100ms);
  }
  EXPECT_TRUE(refused);
}

TEST_F(Throttling, BandwidthTier) {
  ASSERT_NO_FATAL_FAILURE(
      start(tiers("    subscription:\n      Small: {bytes: 3000, per: hour}\n") + "  unauthenticated_tier: Small\n"));
  // Each echo reply is a JSON description of the request (a few hundred bytes): the quota
  // runs out after a handful, and the refusal is a 429 like any other.
  int ok = 0;
  std::optional<Response> last;
  for (int i = 0; i < 50; ++i) {
    last = get("/open/a");
    ASSERT_TRUE(last);
    if (last->status != 200) break;
    ++ok;
  }
  EXPECT_GT(ok, 1);
  EXPECT_LT(ok, 50);
  EXPECT_EQ(last->status, 429);
  EXPECT_EQ(code_of(*last), 900804);
}

TEST_F(Throttling, BlockingThroughTheAdminApi) {
  write_file(tmp / "project" / "admin.token", "0123456789abcdef-admin-token\n");
  ASSERT_NO_FATAL_FAILURE(start(kTiers, "2", ", token_file: admin.token"));
  const std::string tok = "0123456789abcdef-admin-token";
  EXPECT_EQ(get("/open/a")->status, 200);
  // Without the token: 401, and nothing changes.
  auto denied = admin("POST", "/throttle/blocks?type=ip&value=127.0.0.1");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  EXPECT_EQ(admin("POST", "/throttle/blocks?type=ip&value=127.0.0.1", "wrong-token-wrong-token")->status, 401);
  EXPECT_EQ(admin("GET", "/throttle/tiers")->status, 401);
  EXPECT_EQ(admin("GET", "/health")->status, 200);  // probes stay open
  EXPECT_EQ(get("/open/a")->status, 200);
  // A bad value is refused with a reason.
  auto bad = admin("POST", "/throttle/blocks?type=ip&value=300.1.1.1", tok);
  EXPECT_EQ(bad->status, 400);
  auto added = admin("POST", "/throttle/blocks?type=ip&value=127.0.0.0%2F8", tok);
  ASSERT_TRUE(added);
  ASSERT_EQ(added->status, 201) << added->body;
  int id = int((*added->json())["id"].num());
  // Takes effect on every worker within a second.
  bool blocked_everywhere = eventually(1000ms, [&] {
    for (int i = 0; i < 6; ++i) {
      auto r = get("/open/a");
      if (!r || r->status != 403) return false;
    }
    return true;
  });
  EXPECT_TRUE(blocked_everywhere);
  auto r = get("/shop/items", token("--api Shop:2"));
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(code_of(*r), 900805) << r->body;
  auto list = admin("GET", "/throttle/blocks", tok);
  EXPECT_NE(list->body.find("127.0.0.0/8"), std::string::npos) << list->body;
  EXPECT_EQ(admin("DELETE", "/throttle/blocks?id=" + std::to_string(id), tok)->status, 200);
  EXPECT_TRUE(eventually(1000ms, [&] { return get("/open/a")->status == 200; }));
  // Users and applications from tokens.
  ASSERT_EQ(admin("POST", "/throttle/blocks?type=user&value=mallory", tok)->status, 201);
  ASSERT_EQ(admin("POST", "/throttle/blocks?type=application&value=bad-app", tok)->status, 201);
  EXPECT_TRUE(
      eventually(1000ms, [&] { return get("/shop/items", token("--api Shop:2 --sub mallory"))->status == 403; }));
  EXPECT_EQ(get("/shop/items", token("--api Shop:2 --app-id bad-app"))->status, 403);
  EXPECT_EQ(get("/shop/items", token("--api Shop:2 --sub alice"))->status, 200);
  auto tiers = admin("GET", "/throttle/tiers", tok);
  ASSERT_EQ(tiers->status, 200);
  auto tj = tiers->json();
  ASSERT_TRUE(tj);
  EXPECT_EQ((*tj)["mode"].str(), "local");
  EXPECT_GT((*tj)["subscription"].size(), 5u);
}

TEST_F(Throttling, BlockingNeedsAnAdminToken) {
  ASSERT_NO_FATAL_FAILURE(start(kTiers));
  auto r = admin("POST", "/throttle/blocks?type=ip&value=127.0.0.1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(r->body.find("admin.token_env"), std::string::npos) << r->body;
  EXPECT_EQ(get("/open/a")->status, 200);
}

// Behind a load balancer every connection comes from the balancer: blocking and per-IP
// quotas must see the client it forwards, and only from trusted proxies.
TEST_F(Throttling, BehindTrustedProxiesTheForwardedClientCounts) {
  ASSERT_NO_FATAL_FAILURE(
      start(std::string(kTiers) + "  unauthenticated_tier: Gold\n  blocking:\n    - {ip: 203.0.113.9}\n", "2", "",
            {"trusted_proxies: [127.0.0.1/32, 10.0.0.0/8]"}));
  // The blocked client behind a chain of two trusted proxies.
  auto r = get("/open/a", "", {{"X-Forwarded-For", "203.0.113.9, 10.1.2.3"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(code_of(*r), 900805);
  // An entry left of the nearest untrusted hop was written by the client: not believed.
  EXPECT_EQ(get("/open/a", "", {{"X-Forwarded-For", "203.0.113.9, 198.51.100.7"}})->status, 200);
  // Per-IP quotas follow the forwarded client (Gold: 3 per hour per caller).
  EXPECT_EQ(get("/open/a", "", {{"X-Forwarded-For", "198.51.100.7"}})->status, 200);
  EXPECT_EQ(get("/open/a", "", {{"X-Forwarded-For", "198.51.100.7"}})->status, 200);
  r = get("/open/a", "", {{"X-Forwarded-For", "198.51.100.7"}});
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(code_of(*r), 900804);
  EXPECT_EQ(get("/open/a", "", {{"X-Forwarded-For", "198.51.100.8"}})->status, 200);
  // Without the header the balancer itself is the caller.
  EXPECT_EQ(get("/open/a")->status, 200);
}

TEST_F(Throttling, ForwardedForFromAnUntrustedPeerIsIgnored) {
  ASSERT_NO_FATAL_FAILURE(start(std::string(kTiers) + "  blocking:\n    - {ip: 203.0.113.9}\n"));
  EXPECT_EQ(get("/open/a", "", {{"X-Forwarded-For", "203.0.113.9"}})->status, 200);
}

TEST_F(Throttling, ConfigBlockingConditions) {
  ASSERT_NO_FATAL_FAILURE(start(std::string(kTiers) + "  blocking:\n    - {api: \"Res:1\"}\n"));
  auto r = get("/res/free");
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(code_of(*r), 900805);
  EXPECT_EQ(get("/open/a")->status, 200);
}

}  // namespace
}  // namespace postern::itest
