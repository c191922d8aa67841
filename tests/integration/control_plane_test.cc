// The control plane (the hybrid pattern's client) through the real binary: `postern run
// gateway.yaml` polls nginx serving signed bundles over HTTPS with a bearer token, applies
// each newer bundle like a reload (no request fails across the switch), refuses tampered,
// foreign-signed and older bundles while the active one stays, restarts offline from the
// last good bundle, waits for a first bundle before it is ready, and reports the active
// bundle at /ready, /config and /metrics.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "fixture.h"
#include "harness.h"
#include "nginx_files.h"

namespace postern::itest {
namespace {

constexpr const char* kToken = "cp-token-4e1d8a";

class ControlPlane : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(nginx_binary(), "") << "nginx is not installed (tools/install-deps)";
    echo = std::make_unique<Echo>(tmp.path());
    pki = make_pki(tmp / "cp-pki");
    nginx = std::make_unique<NginxFiles>(tmp / "cp", pki, kToken);
    ASSERT_EQ(make_key("sign"), "");
    ASSERT_EQ(make_key("other"), "");
    ::setenv("POSTERN_TEST_CP_TOKEN", kToken, 1);
    write_file(tmp / "gw/gateway.yaml", "control_plane:\n  url: " + nginx->url("orders.bundle") +
                                            "\n  trust: [../sign.pub]\n  poll: 200ms\n  ca_file: ../cp-pki/ca.pem\n"
                                            "  token_env: POSTERN_TEST_CP_TOKEN\n  state_dir: state\n");
  }

  void TearDown() override {
    stop_gateway();
    nginx->stop();
    echo->process().stop();
  }

  std::string make_key(const std::string& name) {
    auto r = run_command("openssl genpkey -algorithm ED25519 -out " + shell_quote((tmp / (name + ".key")).string()) +
                         " && openssl pkey -in " + shell_quote((tmp / (name + ".key")).string()) + " -pubout -out " +
                         shell_quote((tmp / (name + ".pub")).string()));
    return r.exit_code == 0 ? "" : r.output;
  }

  // A bundle of a project whose APIs are pets versions `versions` (each routed to the echo),
  // signed by `key`, with `sequence`. Every project listens on the same ports.
  std::string bundle(uint64_t sequence, std::vector<std::string> versions, const std::string& key = "sign") {
    std::map<std::string, std::string> apis;
    for (const auto& v : versions) apis["pets-" + v + ".yaml"] = pets_api(echo->url(), "", v);
    return bundle_of(sequence, std::move(apis), key);
  }

  std::string bundle_of(uint64_t sequence, std::map<std::string, std::string> apis, const std::string& key = "sign") {
    GatewayOptions options;
    options.apis = std::move(apis);
    const fs::path dir = tmp / ("project-" + std::to_string(++projects));
    Gateway project(dir, std::move(options));  // writes the project only
    if (!ports) ports = std::pair{project.http_port(), project.admin_port()};
    std::string yaml = read_file(dir / "postern.yaml");
    for (auto [from, to] :
         {std::pair{project.http_port(), ports->first}, std::pair{project.admin_port(), ports->second}})
      yaml = replace_all(yaml, ":" + std::to_string(from), ":" + std::to_string(to));
    write_file(dir / "postern.yaml", yaml);
    const fs::path out = tmp / ("b" + std::to_string(projects) + ".bundle");
    auto r = run_command(shell_quote(postern_binary()) + " bundle build " + shell_quote(dir.string()) + " -o " +
                             shell_quote(out.string()) + " --sign " + shell_quote((tmp / (key + ".key")).string()) +
                             " --sequence " + std::to_string(sequence),
                         60);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return read_file(out);
  }

  static std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
      s.replace(at, from.size(), to);
    return s;
  }

  int http_port() const { return ports->first; }
  int admin_port() const { return ports->second; }

  void start_gateway() {
    served = std::make_unique<Process>(std::vector<std::string>{postern_binary(), "--log-level", "debug", "run",
                                                                (tmp / "gw/gateway.yaml").string()},
                                       tmp / ("gateway-" + std::to_string(++starts) + ".log"), tmp / "gw");
  }

  bool wait_ready(Millis timeout = 20000ms) {
    return eventually(timeout,
                      [&] {
                        if (!served->alive()) return true;
                        auto r = http_request(admin_port(), "GET", "/ready", {}, {}, 1000ms);
                        return r && r->status == 200;
                      }) &&
           served->alive();
  }

  void stop_gateway() {
    if (!served) return;
    if (served->alive()) {
      served->signal(SIGTERM);
      auto st = served->wait_exit(15000ms);
      EXPECT_TRUE(st && WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << (st ? describe_status(*st) : "no exit");
    }
    EXPECT_EQ(sanitizer_report(served->log()), "");
    if (HasFailure()) std::cerr << "----- postern log -----\n" << served->log() << "-----\n";
    served.reset();
  }

  // The active bundle's sequence as /ready reports it (-1 when unavailable).
  double ready_sequence() {
    auto r = http_request(admin_port(), "GET", "/ready", {}, {}, 2000ms);
    if (!r || r->status != 200) return -1;
    auto j = r->json();
    return j ? (*j)["bundle"]["sequence"].num() : -1;
  }

  // A counter or gauge line of /metrics ("" when absent).
  double metric(const std::string& series) {
    auto r = http_request(admin_port(), "GET", "/metrics", {}, {}, 2000ms);
    if (!r) return -1;
    size_t at = r->body.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(r->body.substr(at + series.size() + 2));
  }

  int status_of(const std::string& target) {
    auto r = http_request(http_port(), "GET", target, {}, {}, 5000ms);
    return r ? r->status : -1;
  }

  // Publishes `bytes` and waits until the refusal counter moves past `refused`.
  void expect_refused(const std::string& bytes, const std::string& why) {
    const double refused = metric("postern_control_plane_polls_total{result=\"refused\"}");
    nginx->publish("orders.bundle", bytes);
    EXPECT_TRUE(eventually(10000ms, [&] {
      return metric("postern_control_plane_polls_total{result=\"refused\"}") > refused;
    })) << served->log();
    EXPECT_NE(served->log().find(why), std::string::npos) << why << "\n" << served->log();
  }

  TempDir tmp;
  Pki pki;
  std::unique_ptr<Echo> echo;
  std::unique_ptr<NginxFiles> nginx;
  std::unique_ptr<Process> served;
  std::optional<std::pair<int, int>> ports;
  int projects = 0;
  int starts = 0;
};

TEST_F(ControlPlane, AppliesANewerBundleWithoutAFailedRequestAndReportsIt) {
  const std::string v1 = bundle(1, {"1.0.0"});
  nginx->publish("orders.bundle", v1);
  ASSERT_TRUE(nginx->start());
  start_gateway();
  ASSERT_TRUE(wait_ready()) << served->log();
  EXPECT_EQ(ready_sequence(), 1);
  EXPECT_EQ(status_of("/pets/1.0.0/items/7"), 200);
  EXPECT_EQ(status_of("/pets/2.0.0/items/7"), 404);
  EXPECT_EQ(read_file(tmp / "gw/state/active.bundle"), v1) << "the first bundle is kept for offline restarts";

  // Requests run on keep-alive connections while the next bundle goes live: paced and
  // capped below the default Unauthenticated tier (500 a minute per client address).
  constexpr int kMaxRequests = 450;
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::mutex failure_mutex;
  std::string first_failure;
  std::thread load([&] {
    while (!stop && ok + failed < kMaxRequests) {
      Conn c(http_port());
      for (int i = 0; i < 50 && !stop && ok + failed < kMaxRequests; ++i) {
        sleep_for(2ms);
        auto r = c.send(make_request("GET", "/pets/1.0.0/items/7", {})) ? c.read_response(5000ms) : std::nullopt;
        (r && r->status == 200 ? ok : failed)++;
        if (!(r && r->status == 200) && first_failure.empty()) {
          std::lock_guard lock(failure_mutex);
          first_failure = r ? r->raw_head + r->body : "no response: " + c.error();
        }
        if (!r) break;
      }
    }
  });
  const std::string v2 = bundle(2, {"1.0.0", "2.0.0"});
  nginx->publish("orders.bundle", v2);
  EXPECT_TRUE(eventually(10000ms, [&] { return status_of("/pets/2.0.0/items/7") == 200; })) << served->log();
  const int before_switch = ok + failed;
  sleep_for(300ms);
  stop = true;
  load.join();
  EXPECT_EQ(failed, 0) << ok << " requests succeeded; the first failure: " << first_failure;
  EXPECT_GT(before_switch, 10) << "the load must run before the switch";
  EXPECT_GT(ok + failed, before_switch) << "and after it";

  EXPECT_EQ(ready_sequence(), 2);
  auto cfg = http_request(admin_port(), "GET", "/config", {}, {}, 2000ms);
  ASSERT_TRUE(cfg && cfg->status == 200);
  auto j = cfg->json();
  ASSERT_TRUE(j) << cfg->body;
  EXPECT_EQ((*j)["bundle"]["digest"].str().size(), 64u) << cfg->body;
  EXPECT_EQ((*j)["bundle"]["source"].str(), nginx->url("orders.bundle"));
  EXPECT_EQ(metric("postern_bundle_sequence"), 2);
  EXPECT_EQ(metric("postern_control_plane_polls_total{result=\"applied\"}"), 1);
  EXPECT_TRUE(
      eventually(5000ms, [&] { return metric("postern_control_plane_polls_total{result=\"not_modified\"}") > 0; }));
  EXPECT_EQ(read_file(tmp / "gw/state/active.bundle"), v2);
  // Conditional GETs with the token: nginx answered 304 to the later polls.
  EXPECT_NE(nginx->access_log().find("\"GET /orders.bundle HTTP/1.1\" 304 "), std::string::npos) << nginx->access_log();
  EXPECT_EQ(nginx->access_log().find("\" 401 "), std::string::npos) << nginx->access_log();
}

TEST_F(ControlPlane, RefusesTamperedForeignAndOlderBundlesAndKeepsTheActiveOne) {
  nginx->publish("orders.bundle", bundle(5, {"1.0.0"}));
  ASSERT_TRUE(nginx->start());
  start_gateway();
  ASSERT_TRUE(wait_ready()) << served->log();
  ASSERT_EQ(ready_sequence(), 5);

  std::string tampered = bundle(6, {"1.0.0", "2.0.0"});
  size_t at = tampered.find("listeners:");
  ASSERT_NE(at, std::string::npos);
  tampered[at] = 'L';
  expect_refused(tampered, "does not match its SHA-256 in the manifest");
  expect_refused(bundle(6, {"1.0.0", "2.0.0"}, "other"), "which is not trusted");
  expect_refused(bundle(4, {"1.0.0", "2.0.0"}), "sequence 4 is not above the active bundle's 5 (rollback protection)");
  expect_refused(bundle(5, {"1.0.0", "2.0.0"}),
                 "sequence 5 is not above the active bundle's 5 and its content differs");
  EXPECT_EQ(ready_sequence(), 5);
  EXPECT_EQ(status_of("/pets/2.0.0/items/7"), 404) << "a refused bundle's routes must not be served";
  EXPECT_EQ(status_of("/pets/1.0.0/items/7"), 200);

  // A bundle that verifies but whose project does not load is refused the same way.
  expect_refused(bundle_of(7, {{"pets.yaml", "openapi: 3.0.0\ninfo: {title: x, version: '1'}\n"}}),
                 "bundle sequence 7 (digest ");
  EXPECT_NE(served->log().find("not applied: its project does not load"), std::string::npos) << served->log();
  EXPECT_EQ(ready_sequence(), 5);
  EXPECT_EQ(status_of("/pets/1.0.0/items/7"), 200);

  // The next good bundle goes live.
  nginx->publish("orders.bundle", bundle(8, {"1.0.0", "2.0.0"}));
  EXPECT_TRUE(eventually(10000ms, [&] { return ready_sequence() == 8; })) << served->log();
  EXPECT_EQ(status_of("/pets/2.0.0/items/7"), 200);
}

TEST_F(ControlPlane, RestartsOfflineFromTheLastGoodBundleAndStillRefusesAnOlderOne) {
  nginx->publish("orders.bundle", bundle(1, {"1.0.0"}));
  ASSERT_TRUE(nginx->start());
  start_gateway();
  ASSERT_TRUE(wait_ready()) << served->log();
  const std::string v2 = bundle(2, {"1.0.0", "2.0.0"});
  nginx->publish("orders.bundle", v2);
  ASSERT_TRUE(eventually(10000ms, [&] { return ready_sequence() == 2; })) << served->log();

  // The control plane goes away: nothing changes for traffic.
  nginx->stop();
  EXPECT_TRUE(eventually(5000ms, [&] { return metric("postern_control_plane_polls_total{result=\"error\"}") > 0; }));
  EXPECT_EQ(status_of("/pets/2.0.0/items/7"), 200);
  EXPECT_EQ(ready_sequence(), 2);

  // A restart with the control plane still away serves the last good bundle.
  stop_gateway();
  start_gateway();
  ASSERT_TRUE(wait_ready()) << served->log();
  EXPECT_EQ(ready_sequence(), 2);
  EXPECT_EQ(status_of("/pets/2.0.0/items/7"), 200);
  EXPECT_NE(served->log().find("starting from the last good bundle"), std::string::npos) << served->log();

  // It comes back with an older bundle (a restored backup, a stale replica): refused.
  nginx->publish("orders.bundle", bundle(1, {"1.0.0"}));
  ASSERT_TRUE(nginx->start());
  EXPECT_TRUE(eventually(10000ms, [&] { return metric("postern_control_plane_polls_total{result=\"refused\"}") > 0; }))
      << served->log();
  EXPECT_EQ(ready_sequence(), 2);
  EXPECT_EQ(status_of("/pets/2.0.0/items/7"), 200);
  EXPECT_EQ(read_file(tmp / "gw/state/active.bundle"), v2);
}

TEST_F(ControlPlane, WaitsNotReadyForAFirstBundleThenServesIt) {
  start_gateway();
  // No bundle kept, no control plane: alive, not listening, saying why.
  EXPECT_TRUE(eventually(5000ms, [&] { return served->log().find("no bundle to serve yet") != std::string::npos; }))
      << served->log();
  nginx->publish("orders.bundle", bundle(3, {"1.0.0"}));
  ASSERT_TRUE(served->alive()) << served->log();
  EXPECT_FALSE(port_open(admin_port()));
  ASSERT_TRUE(nginx->start());
  ASSERT_TRUE(wait_ready()) << served->log();
  EXPECT_EQ(ready_sequence(), 3);
  EXPECT_EQ(status_of("/pets/1.0.0/items/7"), 200);
}

TEST_F(ControlPlane, TheTokenIsRequiredAndAWrongOneIsReported) {
  ::setenv("POSTERN_TEST_CP_TOKEN", "wrong", 1);
  nginx->publish("orders.bundle", bundle(3, {"1.0.0"}));
  ASSERT_TRUE(nginx->start());
  start_gateway();
  EXPECT_TRUE(eventually(5000ms, [&] { return served->log().find("HTTP status 401") != std::string::npos; }))
      << served->log();
  EXPECT_FALSE(port_open(admin_port()));
}

TEST_F(ControlPlane, AnInvalidFileNamesLineAndColumnAndDoesNotStart) {
  write_file(tmp / "gw/gateway.yaml",
             "control_plane:\n  url: ftp://cp.example.com/x.bundle\n  pol: 10s\n  trust: [missing.pub]\n");
  auto r = run_command(shell_quote(postern_binary()) + " run " + shell_quote((tmp / "gw/gateway.yaml").string()), 30);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const std::string file = (tmp / "gw/gateway.yaml").string();
  EXPECT_NE(r.output.find(file + ":2:8: 'control_plane.url' must be an https:// URL"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(file + ":3:3: unknown key 'pol' in control_plane; did you mean 'poll'?"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(file + ":4:11: no such file: "), std::string::npos) << r.output;
  EXPECT_EQ(sanitizer_report(r.output), "");
}

}  // namespace
}  // namespace postern::itest
