// Analytics uploads against the real collector (`postern analytics collect`, SQLite): a
// collector that is down for the whole run receives everything exactly once when it comes
// up (over HTTPS, bearer token); acknowledgements lost after the collector committed do
// not double count (through a relay that swallows answers, Basic auth).
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "analytics_events.h"
#include "fixture.h"

namespace postern::itest {
namespace {

// `postern analytics collect` on a free port with a SQLite file.
class Collector {
 public:
  Collector(const fs::path& dir, int port, std::vector<std::string> extra) : db_(dir / "events.db"), port_(port) {
    std::vector<std::string> argv{
        postern_binary(),          "analytics", "collect", "--listen", "127.0.0.1:" + std::to_string(port), "--db",
        "sqlite://" + db_.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<Process>(argv, dir / ("collector-" + std::to_string(port) + ".log"));
    if (!eventually(10000ms, [&] { return port_open(port) || !proc_->alive(); }) || !proc_->alive())
      throw std::runtime_error("collector did not start: " + proc_->log());
  }
  ~Collector() {
    proc_->stop();
    EXPECT_EQ(sanitizer_report(proc_->log()), "") << "sanitizer report in the collector log";
  }
  // The report's JSON for everything stored.
  Json report() const {
    auto r = run_command(shell_quote(postern_binary()) + " analytics report --format json --db " +
                             shell_quote("sqlite://" + db_.string()),
                         60, false);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    auto j = Json::parse(r.output);
    EXPECT_TRUE(j) << r.output;
    return j ? *j : Json();
  }
  std::string log() const { return proc_->log(); }

 private:
  fs::path db_;
  int port_;
  std::unique_ptr<Process> proc_;
};

// A TCP relay to a collector that loses the first `lose` answers: it forwards the upload,
// waits for the collector's answer (so the collector has committed) and then closes the
// gateway's connection without passing the answer on.
class LossyRelay {
 public:
  LossyRelay(int target_port, int lose) : target_(target_port), lose_(lose) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(listen_fd_, 16);
    thread_ = std::thread([this] { run(); });
  }
  ~LossyRelay() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }
  int port() const { return port_; }
  int lost() const { return lost_; }

 private:
  void run() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int client = ::accept(listen_fd_, nullptr, nullptr);
      if (client < 0) continue;
      int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(uint16_t(target_));
      if (::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(client);
        ::close(server);
        continue;
      }
      bool lose = lost_ < lose_;
      pump(client, server, lose);
      if (lose) ++lost_;
      ::close(client);
      ::close(server);
    }
  }
  // One connection at a time: enough for the gateway's one-upload-at-a-time shipper.
  void pump(int client, int server, bool lose) {
    char buf[65536];
    for (int idle = 0; idle < 200 && !stop_;) {
      pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) {
        ++idle;
        continue;
      }
      idle = 0;
      if (p[0].revents) {
        ssize_t n = ::read(client, buf, sizeof buf);
        if (n <= 0) return;
        if (::write(server, buf, size_t(n)) != n) return;
      }
      if (p[1].revents) {
        ssize_t n = ::read(server, buf, sizeof buf);
        if (n <= 0) return;
        if (lose) return;  // the collector answered (it committed): the gateway never hears it
        if (::write(client, buf, size_t(n)) != n) return;
      }
    }
  }

  int target_, lose_;
  int listen_fd_ = -1, port_ = 0;
  std::atomic<int> lost_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class AnalyticsUpload : public GatewayTest {
 protected:
  void start(const std::string& upload) {
    start_echo();
    GatewayOptions o;
    o.throttling = "  unauthenticated_tier: Unlimited\n";
    o.analytics =
        "  flush_interval: 20ms\n  rotate_size: 8KiB\n  rotate_age: 300ms\n  max_disk: 64MiB\n"
        "  upload:\n" +
        upload;
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
    ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  }
  std::string metrics() {
    auto r = http_request(gw->admin_port(), "GET", "/metrics");
    return r ? r->body : "";
  }
  // n requests, spread so that several files are closed.
  void send(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(http_request(port(), "GET", "/open/a")->status, 200);
      if (i % 50 == 49) sleep_for(350ms);
    }
  }
};

TEST_F(AnalyticsUpload, CollectorDownForTheWholeRunThenUpEverythingArrivesOnce) {
  Pki pki = make_pki(tmp.path(), "collector-");
  ::setenv("POSTERN_TEST_COLLECTOR_TOKEN", "collector-token-0123456789", 1);
  const int collector_port = free_port();
  ASSERT_NO_FATAL_FAILURE(start("    url: https://127.0.0.1:" + std::to_string(collector_port) +
                                "\n"
                                "    token_env: POSTERN_TEST_COLLECTOR_TOKEN\n"
                                "    ca_file: " +
                                pki.ca_cert.string() +
                                "\n"
                                "    interval: 100ms\n    retry_min: 50ms\n    retry_max: 200ms\n"));
  const int n = 400;
  ASSERT_NO_FATAL_FAILURE(send(n));
  // Offline: everything is kept, in several files, and the failures are visible.
  std::string m;
  ASSERT_TRUE(eventually(20000ms, [&] {
    m = metrics();
    return metric(m, "postern_analytics_events_written_total") == n &&
           metric(m, "postern_analytics_files_pending") >= 3 &&
           metric(m, "postern_analytics_upload_failures_total") > 0;
  })) << m;
  double files = metric(m, "postern_analytics_files_pending");

  Collector collector(tmp.path(), collector_port,
                      {"--token-env", "POSTERN_TEST_COLLECTOR_TOKEN", "--tls-cert", pki.server_cert.string(),
                       "--tls-key", pki.server_key.string()});
  ASSERT_TRUE(eventually(30000ms,
                         [&] {
                           m = metrics();
                           return metric(m, "postern_analytics_files_pending") == 0 &&
                                  metric(m, "postern_analytics_events_uploaded_total") == n;
                         }))
      << m << collector.log();
  EXPECT_GE(metric(m, "postern_analytics_files_uploaded_total"), files);
  EXPECT_TRUE(fs::is_empty(gw->dir() / "analytics" / "outbox"));
  Json report = collector.report();
  EXPECT_EQ(report["totals"]["requests"].num(), n) << "every event once";
  EXPECT_EQ(report["totals"]["errors"].num(), 0);
}

TEST_F(AnalyticsUpload, LostAcknowledgementIsNotCountedTwice) {
  ::setenv("POSTERN_TEST_COLLECTOR_PASSWORD", "s3cret-pass", 1);
  const int collector_port = free_port();
  Collector collector(tmp.path(), collector_port,
                      {"--basic-user", "gateway", "--password-env", "POSTERN_TEST_COLLECTOR_PASSWORD"});
  LossyRelay relay(collector_port, 3);
  ASSERT_NO_FATAL_FAILURE(start("    url: http://127.0.0.1:" + std::to_string(relay.port()) +
                                "\n"
                                "    basic_user: gateway\n    password_env: POSTERN_TEST_COLLECTOR_PASSWORD\n"
                                "    interval: 100ms\n    retry_min: 50ms\n    retry_max: 200ms\n"));
  const int n = 300;
  ASSERT_NO_FATAL_FAILURE(send(n));
  std::string m;
  ASSERT_TRUE(eventually(30000ms, [&] {
    m = metrics();
    return metric(m, "postern_analytics_events_written_total") == n &&
           metric(m, "postern_analytics_files_pending") == 0 && fs::is_empty(gw->dir() / "analytics" / "closed") &&
           fs::is_empty(gw->dir() / "analytics" / "active");
  })) << m;
  EXPECT_EQ(relay.lost(), 3);
  // The collector stored the files whose answers were lost; the retries were duplicates.
  EXPECT_NE(gw->log().find("the collector had it already"), std::string::npos) << gw->log();
  Json report = collector.report();
  EXPECT_EQ(report["totals"]["requests"].num(), n) << "no event counted twice";
}

TEST_F(AnalyticsUpload, WrongCredentialsKeepTheFiles) {
  ::setenv("POSTERN_TEST_COLLECTOR_TOKEN", "the-right-token-0123456789", 1);
  ::setenv("POSTERN_TEST_WRONG_TOKEN", "a-wrong-token-0123456789", 1);
  const int collector_port = free_port();
  Collector collector(tmp.path(), collector_port, {"--token-env", "POSTERN_TEST_COLLECTOR_TOKEN"});
  ASSERT_NO_FATAL_FAILURE(start("    url: http://127.0.0.1:" + std::to_string(collector_port) +
                                "\n"
                                "    token_env: POSTERN_TEST_WRONG_TOKEN\n"
                                "    interval: 100ms\n    retry_min: 50ms\n    retry_max: 100ms\n"));
  ASSERT_NO_FATAL_FAILURE(send(60));
  std::string m;
  ASSERT_TRUE(eventually(20000ms, [&] {
    m = metrics();
    return metric(m, "postern_analytics_files_pending") >= 1 &&
           metric(m, "postern_analytics_upload_failures_total") >= 2;
  })) << m;
  EXPECT_EQ(metric(m, "postern_analytics_files_uploaded_total"), 0);
  EXPECT_NE(gw->log().find("refused our credentials (401)"), std::string::npos) << gw->log();
  EXPECT_EQ(collector.report()["totals"]["requests"].num(), 0);
}

}  // namespace
}  // namespace postern::itest
