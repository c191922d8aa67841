// Distributed throttling against a real redis-server the test starts: two gateways share
// one fleet limit within the documented bound; Redis killed mid-run and restarted, with a
// fail-open and a fail-closed tier; the Redis key layout.
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <thread>

#include "fixture.h"

namespace postern::itest {
namespace {

// redis-server on a free loopback port, no persistence, killed by pid at the end.
class RedisServer {
 public:
  RedisServer(const fs::path& dir, int port = 0, std::vector<std::string> extra = {})
      : dir_(dir), port_(port ? port : free_port()), extra_(std::move(extra)) {
    start();
  }
  void start() {
    std::vector<std::string> argv{"/usr/bin/redis-server",
                                  "--port",
                                  std::to_string(port_),
                                  "--bind",
                                  "127.0.0.1",
                                  "--save",
                                  "",
                                  "--appendonly",
                                  "no",
                                  "--dir",
                                  dir_.string()};
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    proc_ = std::make_unique<Process>(argv, dir_ / ("redis-" + std::to_string(port_) + ".log"));
    if (!eventually(10000ms, [&] { return port_open(port_) || !proc_->alive(); }) || !proc_->alive())
      throw std::runtime_error("redis-server did not start: " + proc_->log());
  }
  void kill() {
    proc_->signal(SIGKILL);
    proc_->wait_exit(5000ms);
  }
  int port() const { return port_; }
  std::string cli(const std::string& args) const {
    return run_command("redis-cli -p " + std::to_string(port_) + " " + args, 10, false).output;
  }

 private:
  fs::path dir_;
  int port_;
  std::vector<std::string> extra_;
  std::unique_ptr<Process> proc_;
};

class RedisThrottling : public GatewayTest {
 protected:
  static std::string api(const std::string& echo_url, const std::string& title, const std::string& tier) {
    return "openapi: 3.0.0\n"
           "info: {title: " +
           title +
           ", version: '1'}\n"
           "x-wso2-basePath: /" +
           title +
           "\n"
           "x-wso2-disable-security: true\n"
           "x-wso2-throttling-tier: " +
           tier +
           "\n"
           "x-wso2-production-endpoints: {urls: [\"" +
           echo_url +
           "\"]}\n"
           "paths:\n"
           "  /a: {get: {}}\n";
  }
  GatewayOptions options(int redis_port, const std::string& redis_extra = "") {
    start_echo();
    GatewayOptions o;
    o.throttling =
        "  mode: redis\n"
        "  redis: {address: \"127.0.0.1:" +
        std::to_string(redis_port) + "\", sync_interval: 20ms, batch: 10, timeout: 200ms, key_prefix: itest" +
        redis_extra +
        "}\n"
        "  unauthenticated_tier: Unlimited\n"
        "  tiers:\n"
        "    resource:\n"
        "      Fleet: {requests: 100, per: hour}\n"
        "      Open: {requests: 5, per: hour, on_redis_failure: open}\n"
        "      Closed: {requests: 1000, per: hour, on_redis_failure: closed}\n";
    o.apis["fleet.yaml"] = api(echo->url(), "fleet", "Fleet");
    o.apis["open.yaml"] = api(echo->url(), "open", "Open");
    o.apis["closed.yaml"] = api(echo->url(), "closed", "Closed");
    return o;
  }
  static int status(int port, const std::string& path) {
    auto r = http_request(port, "GET", path);
    return r ? r->status : -1;
  }
  // Waits until the gateway's Redis connection is up (the metric), so a test starts from a
  // known state.
  static bool redis_up(int admin_port) {
    return eventually(10000ms, [&] {
      auto m = http_request(admin_port, "GET", "/metrics");
      return m && m->body.find("\npostern_throttle_redis_up 1\n") != std::string::npos;
    });
  }
};

TEST_F(RedisThrottling, TwoGatewaysHoldOneFleetLimitWithinTheBound) {
  RedisServer redis(tmp.path());
  ASSERT_NO_FATAL_FAILURE(start_gateway(options(redis.port())));
  Gateway second(tmp / "project2", options(redis.port()));
  std::string why;
  ASSERT_TRUE(second.start(&why)) << why;
  ASSERT_TRUE(redis_up(gw->admin_port()));
  ASSERT_TRUE(redis_up(second.admin_port()));

  // 600 requests, alternating gateways, from 6 connections at once.
  std::atomic<int> ok{0}, limited{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      Conn c(t % 2 ? port() : second.http_port());
      for (int i = 0; i < 100; ++i) {
        if (!c.send(make_request("GET", "/fleet/a"))) return (void)++other;
        auto r = c.read_response();
        if (!r) return (void)++other;
        (r->status == 200 ? ok : r->status == 429 ? limited : other)++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(other.load(), 0);
  // docs/throttling.md: the fleet admits at most limit + (nodes - 1) x cap, where cap =
  // min(batch, limit / 10) = 10 here. Never fewer than the limit while Redis is up.
  EXPECT_GE(ok.load(), 100);
  EXPECT_LE(ok.load(), 110);
  EXPECT_EQ(ok.load() + limited.load(), 600);
  // Redis holds the fleet's total under the documented key layout.
  std::string keys = redis.cli("--scan --pattern 'itest:{api|fleet:1}:*'");
  ASSERT_NE(keys.find("itest:{api|fleet:1}:"), std::string::npos) << keys;
  std::string key = keys.substr(0, keys.find('\n'));
  std::string total = redis.cli("GET " + shell_quote(key));
  EXPECT_EQ(std::stoi(total), ok.load()) << "redis total " << total;
  std::string ttl = redis.cli("PTTL " + shell_quote(key));
  EXPECT_GT(std::stoll(ttl), 0);  // windows expire on their own
  second.process().signal(SIGTERM);
  EXPECT_TRUE(second.process().wait_exit(15000ms));
}

TEST_F(RedisThrottling, RedisDownFailOpenAndClosedThenRecovers) {
  auto redis = std::make_unique<RedisServer>(tmp.path());
  const int redis_port = redis->port();
  ASSERT_NO_FATAL_FAILURE(start_gateway(options(redis_port)));
  ASSERT_TRUE(redis_up(gw->admin_port()));
  EXPECT_EQ(status(port(), "/closed/a"), 200);
  EXPECT_EQ(status(port(), "/open/a"), 200);

  redis->kill();
  // The gateway notices within its PING interval (1 s) or on the next round trip.
  ASSERT_TRUE(eventually(5000ms, [&] { return status(port(), "/closed/a") == 503; }));
  auto r = http_request(port(), "GET", "/closed/a");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->header("retry-after").value_or(""), "1");
  EXPECT_EQ((*r->json())["message"].str(), "Throttling Unavailable");
  // Fail-open: the node enforces the tier on its own counts (5 per hour; 1 used before).
  int ok = 0;
  for (int i = 0; i < 10; ++i) ok += status(port(), "/open/a") == 200;
  EXPECT_EQ(ok, 4);
  auto m = http_request(gw->admin_port(), "GET", "/metrics");
  EXPECT_NE(m->body.find("\npostern_throttle_redis_up 0\n"), std::string::npos);

  // Redis comes back on the same port: no restart of the gateway needed.
  redis = std::make_unique<RedisServer>(tmp.path(), redis_port);
  ASSERT_TRUE(redis_up(gw->admin_port()));
  EXPECT_TRUE(eventually(5000ms, [&] { return status(port(), "/closed/a") == 200; }));
}

// A Redis that requires a password: the gateway authenticates with the one from its
// environment; with a wrong one it never counts as up, and fail-closed tiers refuse.
TEST_F(RedisThrottling, PasswordFromTheEnvironment) {
  RedisServer redis(tmp.path(), 0, {"--requirepass", "itest-redis-secret"});
  ::setenv("POSTERN_ITEST_REDIS_PASSWORD", "itest-redis-secret", 1);
  ::setenv("POSTERN_ITEST_REDIS_WRONG", "not-the-password", 1);
  ASSERT_NO_FATAL_FAILURE(start_gateway(options(redis.port(), ", password_env: POSTERN_ITEST_REDIS_PASSWORD")));
  ASSERT_TRUE(redis_up(gw->admin_port()));
  EXPECT_EQ(status(port(), "/fleet/a"), 200);
  EXPECT_TRUE(eventually(5000ms, [&] {
    return redis.cli("-a itest-redis-secret --no-auth-warning --scan --pattern 'itest:*'")
               .find("itest:{api|fleet:1}:") != std::string::npos;
  }));

  Gateway wrong(tmp / "project-wrong", options(redis.port(), ", password_env: POSTERN_ITEST_REDIS_WRONG"));
  std::string why;
  ASSERT_TRUE(wrong.start(&why)) << why;
  EXPECT_TRUE(eventually(5000ms, [&] { return status(wrong.http_port(), "/closed/a") == 503; }));
  auto m = http_request(wrong.admin_port(), "GET", "/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("\npostern_throttle_redis_up 0\n"), std::string::npos);
  EXPECT_NE(wrong.log().find("WRONGPASS"), std::string::npos) << "the refusal is logged: " << wrong.log();
  wrong.process().signal(SIGTERM);
  EXPECT_TRUE(wrong.process().wait_exit(15000ms));
}

}  // namespace
}  // namespace postern::itest
