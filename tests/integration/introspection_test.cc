// Opaque tokens through RFC 7662 introspection against a test key manager that runs in
// this process (a thread with a listening socket on loopback): up, slow, and down.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "fixture.h"

namespace postern::itest {
namespace {

// Answers POST /introspect. token=good → active with scopes and subscription; token=slow →
// the same after 3 s; token=hold → the same once released (or after 20 s); anything else →
// {"active":false}. Counts calls and checks the gateway's client credentials (gw:secret).
class FakeKeyManager {
 public:
  FakeKeyManager() {
    fd_ = listen_loopback(port_);
    thread_ = std::thread([this] { loop(); });
  }
  ~FakeKeyManager() {
    stop_ = true;
    release_ = true;
    thread_.join();
    while (serving_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ::close(fd_);
  }
  void release() { release_ = true; }
  int held() const { return held_; }
  int port() const { return port_; }
  int calls() const { return calls_; }
  int bad_auth() const { return bad_auth_; }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++serving_;
      std::thread([this, c] {
        serve(c);
        --serving_;
      }).detach();
    }
  }
  void serve(int c) {
    std::string req;
    char buf[4096];
    for (;;) {  // read head + body (Content-Length)
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      req.append(buf, size_t(n));
      size_t end = req.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      size_t cl = req.find("Content-Length: ");
      size_t len = cl == std::string::npos ? 0 : std::stoul(req.substr(cl + 16));
      if (req.size() >= end + 4 + len) break;
    }
    ++calls_;
    // "gw:secret" in base64
    if (req.find("Authorization: Basic Z3c6c2VjcmV0\r\n") == std::string::npos) ++bad_auth_;
    std::string body = R"({"active":false})";
    bool slow = req.find("token=slow") != std::string::npos;
    bool hold = req.find("token=hold") != std::string::npos;
    if (req.find("token=good") != std::string::npos || slow || hold) {
      body = R"({"active":true,"scope":"orders:read","client_id":"app-1","username":"bob","exp":4102444800,)"
             R"("subscribedAPIs":[{"name":"Orders","version":"1","subscriptionTier":"Gold"}]})";
    }
    if (slow) std::this_thread::sleep_for(std::chrono::seconds(3));
    if (hold) {
      ++held_;
      for (int i = 0; i < 2000 && !release_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    ::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
    ::close(c);
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> calls_{0}, bad_auth_{0}, held_{0}, serving_{0};
  std::atomic<bool> release_{false};
  std::thread thread_;
};

class Introspection : public GatewayTest {
 protected:
  void start(int km_port, const std::string& timeout = "1s", const std::string& access_log = "") {
    start_echo();
    write_file(tmp / "km-secret", "secret\n");
    GatewayOptions o;
    o.security =
        "  key_manager:\n"
        "    introspection_url: http://127.0.0.1:" +
        std::to_string(km_port) +
        "/introspect\n"
        "    client_id: gw\n"
        "    client_secret_file: " +
        (tmp / "km-secret").string() +
        "\n"
        "    timeout: " +
        timeout +
        "\n"
        "    validate_subscription: true\n";
    o.access_log = access_log;
    o.apis["orders.yaml"] =
        "openapi: 3.0.0\ninfo: {title: Orders, version: '1'}\nx-wso2-basePath: /orders\n"
        "x-wso2-production-endpoints: {urls: [\"" +
        echo->url() +
        "\"]}\n"
        "components:\n  securitySchemes:\n    oauth: {type: oauth2, flows: {}}\n"
        "paths:\n  /list: {get: {security: [{oauth: [orders:read]}]}}\n"
        "  /admin: {get: {security: [{oauth: [orders:admin]}]}}\n";
    ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  }
  std::optional<Response> get(const std::string& path, const std::string& token) {
    return http_request(port(), "GET", path, {{"Authorization", "Bearer " + token}});
  }
  static int code_of(const Response& r) {
    auto j = r.json();
    return j ? int((*j)["code"].num()) : -1;
  }
};

TEST_F(Introspection, ActiveInactiveScopesAndCache) {
  FakeKeyManager km;
  ASSERT_NO_FATAL_FAILURE(start(km.port()));
  auto r = get("/orders/list", "good");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(echo_header(echo_of(*r), "authorization").empty());
  int after_first = km.calls();
  for (int i = 0; i < 5; ++i) {  // cached per worker: at most one more call (the other worker)
    r = get("/orders/list", "good");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_LE(km.calls(), after_first + 1) << "active tokens must be cached";
  EXPECT_EQ(km.bad_auth(), 0) << "the gateway must authenticate to the key manager";
  r = get("/orders/admin", "good");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(code_of(*r), 900910);
  r = get("/orders/list", "revoked-or-unknown");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(code_of(*r), 900901);
}

TEST_F(Introspection, SlowKeyManagerGives503NotAHang) {
  FakeKeyManager km;
  ASSERT_NO_FATAL_FAILURE(start(km.port()));
  auto t0 = std::chrono::steady_clock::now();
  auto r = get("/orders/list", "slow");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503) << r->body;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3))
      << "the 1 s key-manager timeout was not applied";
  // Other requests on the gateway were served meanwhile (the worker never blocked):
  auto ok = get("/orders/list", "good");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(Introspection, KeyManagerDownGives503WithJson) {
  int dead = free_port();
  ASSERT_NO_FATAL_FAILURE(start(dead));
  auto r = get("/orders/list", "good");
  ASSERT_TRUE(r);
  expect_json_error(*r, 503);
  EXPECT_EQ(r->header("retry-after").value_or(""), "5");
}

TEST_F(Introspection, ConcurrentRequestsShareOneCall) {
  FakeKeyManager km;
  ASSERT_NO_FATAL_FAILURE(start(km.port()));
  // Pipelined on one connection the requests are sequential; use several connections at
  // once instead, all on "slow-ish" timing: the first call is in flight while others wait.
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i) {
    ts.emplace_back([&] {
      auto r = http_request(port(), "GET", "/orders/list", {{"Authorization", "Bearer good"}});
      if (r && r->status == 200) ++ok;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 6);
  EXPECT_LE(km.calls(), 2) << "one call per worker at most (2 workers)";
}

TEST_F(Introspection, AClientThatLeavesEndsItsWaitAtOnce) {
  // The key manager holds its answer far longer than the test waits; the gateway's timeout
  // is longer still. A client that hangs up while its token is being introspected must end
  // the request's wait then (recorded as 499), not when the key manager answers.
  FakeKeyManager km;
  ASSERT_NO_FATAL_FAILURE(start(km.port(), "30s", "{enabled: true, path: " + (tmp / "access.log").string() + "}"));
  {
    Conn c(port());
    ASSERT_TRUE(c.ok()) << c.error();
    ASSERT_TRUE(c.send(make_request("GET", "/orders/list", {{"Authorization", "Bearer hold"}})));
    ASSERT_TRUE(eventually(5000ms, [&] { return km.held() == 1; })) << "the key manager was never asked";
    c.close();
  }
  EXPECT_TRUE(
      eventually(5000ms, [&] { return read_file(tmp / "access.log").find("\"status\":499") != std::string::npos; }))
      << "the wait did not end when the client left; access log:\n"
      << read_file(tmp / "access.log");
  EXPECT_EQ(km.held(), 1);  // still held: the wait ended without the key manager's answer
  km.release();
  // The call itself went on for others: its answer is cached and serves the next request.
  auto ok = get("/orders/list", "hold");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
}

}  // namespace
}  // namespace postern::itest
