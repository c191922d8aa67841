// Analytics on the gateway side (docs/analytics.md): one event per request with the fields
// security, throttling and the upstream decided; nothing lost to kill -9 in every-event
// mode; the disk budget drops the oldest files and says so; /metrics is what Prometheus
// accepts; W3C trace context reaches the backend.
#include <signal.h>

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "analytics_events.h"
#include "fixture.h"

namespace postern::itest {
namespace {

class Analytics : public GatewayTest {
 protected:
  void SetUp() override {
    key_ = tmp / "jwt.key";
    pub_ = tmp / "jwt.pub";
    ASSERT_EQ(make_signing_key(key_, pub_), "");
  }

  // An open API, a secured one with subscription tiers from tokens, and one whose only
  // endpoint refuses connections.
  void start(const std::string& analytics, const std::string& workers = "2") {
    start_echo();
    GatewayOptions o;
    o.workers = workers;
    o.security =
        "  issuers:\n"
        "    - {name: test, issuer: test-issuer, certificate: " +
        pub_.string() + "}\n";
    o.throttling =
        "  unauthenticated_tier: Unlimited\n"
        "  tiers:\n"
        "    subscription:\n"
        "      Two: {requests: 2, per: hour}\n"
        "      Roomy: {requests: 100000, per: hour}\n";
    o.analytics = analytics;
    o.apis["open.yaml"] =
        "openapi: 3.0.0\n"
        "info: {title: Open, version: '1'}\n"
        "x-wso2-basePath: /open\n"
        "x-wso2-disable-security: true\n"
        "x-wso2-owner: ops-team\n"
        "x-wso2-production-endpoints: {urls: [\"" +
        echo->url() +
        "\"]}\n"
        "paths:\n"
        "  /a: {get: {}, post: {}}\n";
    o.apis["shop.yaml"] =
        "openapi: 3.0.0\n"
        "info: {title: Shop, version: '2'}\n"
        "x-wso2-basePath: /shop\n"
        "x-wso2-production-endpoints: {urls: [\"" +
        echo->url() +
        "\"]}\n"
        "paths:\n"
        "  /items/{id}: {get: {}}\n";
    o.apis["dead.yaml"] =
        "openapi: 3.0.0\n"
        "info: {title: Dead, version: '1'}\n"
        "x-wso2-basePath: /dead\n"
        "x-wso2-disable-security: true\n"
        "x-wso2-production-endpoints: {urls: [\"http://127.0.0.1:" +
        std::to_string(free_port()) +
        "\"]}\n"
        "paths:\n"
        "  /a: {get: {}}\n";
    ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  }

  fs::path dir() const { return gw->dir() / "analytics"; }

  void stop_gateway() {
    gw->process().signal(SIGTERM);
    auto st = gw->process().wait_exit(15000ms);
    ASSERT_TRUE(st && WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << gw->log();
  }

  std::string token(const std::string& args) { return mint_token(key_, "test-issuer", args); }

  fs::path key_, pub_;
};

TEST_F(Analytics, EveryRequestIsOneEventWithWhatWasDecided) {
  ASSERT_NO_FATAL_FAILURE(start("  flush_interval: 100ms\n"));
  std::map<std::string, std::string> kind_of;  // request id -> what the test sent
  auto send = [&](const std::string& kind, const std::string& method, const std::string& path,
                  std::vector<std::pair<std::string, std::string>> h = {}, const std::string& body = {}) {
    h.push_back({"User-Agent", "analytics-test/1 \xff"});  // not UTF-8: must still be valid JSON
    auto r = http_request(port(), method, path, h, body);
    EXPECT_TRUE(r) << kind;
    if (!r) return std::optional<Response>();
    auto id = r->header("x-request-id");
    EXPECT_TRUE(id) << kind;
    if (id) kind_of[*id] = kind;
    return r;
  };
  const std::string trace = "0af7651916cd43dd8448eb211c80319c";
  for (int i = 0; i < 10; ++i) {
    auto r = send("open", "POST", "/open/a", {{"traceparent", "00-" + trace + "-b7ad6b7169203331-01"}}, "hello");
    ASSERT_EQ(r->status, 200);
    // The backend got the same trace with the gateway as the parent.
    auto tp = (*r->json())["headers"]["traceparent"][0].str();
    EXPECT_EQ(tp.substr(0, 36), "00-" + trace + "-") << tp;
    EXPECT_NE(tp.substr(36, 16), "b7ad6b7169203331") << tp;
  }
  std::string two = token("--api Shop:2 --tier Two --app-id app-7 --app-name Seven --sub alice --client-id ck-7");
  for (int i = 0; i < 5; ++i)
    send(i < 2 ? "shop-ok" : "shop-throttled", "GET", "/shop/items/" + std::to_string(i),
         {{"Authorization", "Bearer " + two}});
  for (int i = 0; i < 3; ++i) send("no-token", "GET", "/shop/items/1");
  for (int i = 0; i < 2; ++i) send("not-found", "GET", "/nowhere");
  for (int i = 0; i < 2; ++i) send("dead", "GET", "/dead/a");
  const size_t sent = 22;
  ASSERT_EQ(kind_of.size(), sent);
  ASSERT_NO_FATAL_FAILURE(stop_gateway());

  auto events = only_type(read_records(dir()), "request");
  ASSERT_EQ(events.size(), sent) << "exactly one event per request";
  std::set<std::string> seen;
  for (const auto& e : events) {
    std::string id = e["request_id"].str();
    ASSERT_TRUE(kind_of.count(id)) << "event for a request the test did not send: " << id;
    EXPECT_TRUE(seen.insert(id).second) << "two events for " << id;
    const std::string& kind = kind_of[id];
    EXPECT_EQ(e["schema"].num(), 1);
    EXPECT_EQ(e["trace_id"].str().size(), 32u) << kind;
    EXPECT_EQ(e["user_agent"].str(), "analytics-test/1 \xef\xbf\xbd") << kind;
    EXPECT_EQ(e["client_ip"].str(), "127.0.0.1");
    EXPECT_FALSE(e["node"].str().empty());
    EXPECT_GE(e["total_us"].num(), e["upstream_us"].num());
    EXPECT_EQ(e["gateway_us"].num(), e["total_us"].num() - e["upstream_us"].num());
    EXPECT_EQ(e["cache_hit"].str(), "");      // false: Json renders booleans as ""
    EXPECT_TRUE(e.has("api_owner")) << kind;  // every key, always
    if (kind == "open") {
      EXPECT_EQ(e["status"].num(), 200);
      EXPECT_EQ(e["api"].str(), "Open");
      EXPECT_EQ(e["api_owner"].str(), "ops-team");  // x-wso2-owner
      EXPECT_EQ(e["api_version"].str(), "1");
      EXPECT_EQ(e["base_path"].str(), "/open");
      EXPECT_EQ(e["resource"].str(), "/a");
      EXPECT_EQ(e["method"].str(), "POST");
      EXPECT_EQ(e["trace_id"].str(), trace);
      EXPECT_EQ(e["bytes_in"].num(), 5);
      EXPECT_GT(e["bytes_out"].num(), 100);
      EXPECT_GT(e["upstream_us"].num(), 0);
      EXPECT_EQ(e["error_code"].num(), 0);
      EXPECT_EQ(e["error_source"].str(), "");
      EXPECT_NE(e["endpoint"].str().find("127.0.0.1:" + std::to_string(echo->port())), std::string::npos);
      EXPECT_EQ(e["app_id"].str(), "");
    } else if (kind == "shop-ok" || kind == "shop-throttled") {
      EXPECT_EQ(e["api"].str(), "Shop");
      EXPECT_EQ(e["api_owner"].str(), "");  // no x-wso2-owner
      EXPECT_EQ(e["resource"].str(), "/items/{id}");
      EXPECT_EQ(e["app_id"].str(), "app-7");
      EXPECT_EQ(e["app_name"].str(), "Seven");
      EXPECT_EQ(e["user"].str(), "alice");
      EXPECT_EQ(e["consumer_key"].str(), "ck-7");
      EXPECT_EQ(e["key_type"].str(), "PRODUCTION");
      if (kind == "shop-ok") {
        EXPECT_EQ(e["status"].num(), 200);
        EXPECT_EQ(e["throttle_level"].str(), "");
      } else {
        EXPECT_EQ(e["status"].num(), 429);
        EXPECT_EQ(e["error_code"].num(), 900804);
        EXPECT_EQ(e["error_source"].str(), "throttle");
        EXPECT_EQ(e["throttle_level"].str(), "subscription");
        EXPECT_EQ(e["upstream_us"].num(), 0);
        EXPECT_EQ(e["endpoint"].str(), "");
      }
    } else if (kind == "no-token") {
      EXPECT_EQ(e["status"].num(), 401);
      EXPECT_EQ(e["error_source"].str(), "auth");
      EXPECT_EQ(e["error_code"].num(), 900902);
      EXPECT_FALSE(e["error_reason"].str().empty());
    } else if (kind == "not-found") {
      EXPECT_EQ(e["status"].num(), 404);
      EXPECT_EQ(e["error_source"].str(), "gateway");
      EXPECT_EQ(e["api"].str(), "");
      EXPECT_EQ(e["api_owner"].str(), "");
    } else if (kind == "dead") {
      EXPECT_EQ(e["status"].num(), 502);
      EXPECT_EQ(e["error_source"].str(), "upstream");
      EXPECT_EQ(e["api"].str(), "Dead");
    }
  }
  // The throttled flag is a real JSON boolean in the file.
  bool found_true = false;
  for (const auto& f : event_files(dir())) {
    for (const auto& line : read_event_lines(f)) {
      if (line.find("\"throttled\":true") != std::string::npos) found_true = true;
    }
  }
  EXPECT_TRUE(found_true);
}

TEST_F(Analytics, KillNineLosesNoServedRequestInEveryEventMode) {
  ASSERT_NO_FATAL_FAILURE(start("  flush_interval: 0\n  rotate_size: 64KiB\n"));
  std::mutex mu;
  std::vector<std::string> served;  // request ids of responses received in full
  std::atomic<bool> stop{false};
  std::atomic<int> completed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      while (!stop) {
        Conn c(port(), 2000ms);
        if (!c.ok()) return;
        for (int i = 0; i < 50 && !stop; ++i) {
          if (!c.send(make_request("GET", "/open/a"))) return;
          auto r = c.read_response(5000ms);
          if (!r) return;  // the gateway died mid-response: that one was not served
          if (r->status != 200) continue;
          std::lock_guard lock(mu);
          served.push_back(r->header("x-request-id").value_or(""));
          ++completed;
        }
      }
    });
  }
  ASSERT_TRUE(eventually(30000ms, [&] { return completed.load() >= 1500; }));
  gw->process().signal(SIGKILL);
  stop = true;
  for (auto& t : clients) t.join();
  ASSERT_TRUE(gw->process().wait_exit(5000ms));

  std::set<std::string> on_disk;
  for (const auto& e : only_type(read_records(dir()), "request")) on_disk.insert(e["request_id"].str());
  size_t missing = 0;
  for (const auto& id : served) missing += on_disk.count(id) == 0;
  EXPECT_EQ(missing, 0u) << "of " << served.size() << " served requests";
  EXPECT_GE(served.size(), 1500u);

  // The next start closes the file the killed process was writing.
  ASSERT_TRUE(gw->start()) << gw->log();
  // Read once the shipper has sealed every closed file: reading while it moves a file
  // from closed/ to outbox/ could miss it between listing and opening.
  EXPECT_TRUE(eventually(20000ms, [&] { return fs::is_empty(dir() / "active") && fs::is_empty(dir() / "closed"); }));
  EXPECT_NE(gw->log().find("recovered"), std::string::npos) << gw->log();
  std::set<std::string> after;
  for (const auto& e : only_type(read_records(dir()), "request")) after.insert(e["request_id"].str());
  EXPECT_EQ(after.size(), on_disk.size());
}

TEST_F(Analytics, DiskBudgetDropsTheOldestAndReportsIt) {
  ASSERT_NO_FATAL_FAILURE(
      start("  flush_interval: 10ms\n  compression: none\n  rotate_size: 4KiB\n"
            "  rotate_age: 200ms\n  max_disk: 16KiB\n",
            "1"));
  const int n = 300;
  for (int i = 0; i < n; ++i) ASSERT_EQ(http_request(port(), "GET", "/open/a")->status, 200);
  std::string m;
  // The writer keeps the budget at every rotation (it drops closed or sealed files alike);
  // wait until every event is written, the last file rotated by age and every closed file
  // sealed, so the gauge and the files are final.
  ASSERT_TRUE(eventually(20000ms, [&] {
    auto r = http_request(gw->admin_port(), "GET", "/metrics");
    if (!r) return false;
    m = r->body;
    return metric(m, "postern_analytics_events_written_total") == n &&
           metric(m, "postern_analytics_files_dropped_total") > 0 && fs::is_empty(dir() / "active") &&
           fs::is_empty(dir() / "closed") && metric(m, "postern_analytics_disk_bytes") <= 16 * 1024;
  })) << m;
  double dropped_files = metric(m, "postern_analytics_files_dropped_total");
  double dropped_events = metric(m, "postern_analytics_events_dropped_total{reason=\"disk_budget\"}");
  EXPECT_GT(dropped_events, 0) << m;
  ASSERT_NO_FATAL_FAILURE(stop_gateway());

  auto records = read_records(dir());
  auto gaps = only_type(records, "gap");
  auto events = only_type(records, "request");
  double lost = 0;
  std::string newest_lost;
  for (const auto& g : gaps) {
    EXPECT_EQ(g["reason"].str(), "disk_budget");
    lost += g["lost_events"].num();
    newest_lost = std::max(newest_lost, g["lost_file_id"].str());
  }
  // Every drop is reported: a gap record and a warning for each, counted in the metrics
  // (which were read before the last drops the shutdown may still make).
  size_t warnings = 0;
  for (size_t at = 0; (at = gw->log().find("disk budget (16384 bytes) exceeded: deleted", at)) != std::string::npos;
       ++at)
    ++warnings;
  EXPECT_EQ(gaps.size(), warnings);
  EXPECT_GE(double(gaps.size()), dropped_files);
  EXPECT_GE(lost, dropped_events);
  // Nothing unaccounted for: what is on disk plus what the gap records name is everything.
  EXPECT_EQ(double(events.size()) + lost, double(n));
  // The oldest went first: every file still in the outbox is newer than every dropped one.
  for (const auto& f : event_files(dir() / ".." / "analytics")) {
    std::string name = f.filename().string();
    if (f.parent_path().filename() != "outbox" || read_event_lines(f).size() == 1) continue;
    EXPECT_GT(name, newest_lost) << name;
  }
}

// Bytes of every event file under an analytics folder, each file counted once: a file that
// moves (active/ -> closed/, a gap record's .tmp -> outbox/) while the folders are listed is
// recognised by its id. active/ is listed first, so a rotation during the listing is not
// counted twice and new data written after it is not counted at all.
uint64_t folder_bytes(const fs::path& dir) {
  std::map<std::string, uint64_t> by_id;
  for (const char* sub : {"active", "closed", "outbox", "rejected"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir / sub, ec)) {
      std::error_code size_ec;
      uint64_t size = e.file_size(size_ec);
      if (size_ec) continue;  // deleted meanwhile
      std::string id = e.path().filename().string();
      for (const char* suffix : {".tmp", ".jsonl.gz", ".jsonl"}) {
        if (id.ends_with(suffix)) {
          id.resize(id.size() - std::string_view(suffix).size());
          break;
        }
      }
      id = id.substr(0, id.find('~'));
      by_id[id] = std::max(by_id[id], size);
    }
  }
  uint64_t total = 0;
  for (const auto& [id, size] : by_id) total += size;
  return total;
}

// The locked-down pattern: the shipper cannot keep up (here it does nothing at all, through
// the POSTERN_TEST_SHIPPER_PAUSE test hook), yet the folder stays within max_disk plus one
// batch at every moment, because the writer drops the oldest closed files itself; and every
// event recorded is either on disk or counted in a gap record.
TEST_F(Analytics, DiskBudgetHoldsWhileTheShipperIsStarved) {
  const uint64_t max_disk = 512 * 1024, batch_slack = 64 * 1024 + 4096;  // docs: one batch
  setenv("POSTERN_TEST_SHIPPER_PAUSE", "1", 1);
  start("  flush_interval: 10ms\n  rotate_size: 64KiB\n  max_disk: 512KiB\n");
  unsetenv("POSTERN_TEST_SHIPPER_PAUSE");
  if (HasFatalFailure()) return;
  ASSERT_NE(gw->log().find("POSTERN_TEST_SHIPPER_PAUSE=1"), std::string::npos) << gw->log();

  const int total = 6000;  // ~4 MB of events: eight times the budget
  std::atomic<int> next{0}, served{0};
  std::atomic<bool> loading{true};
  std::atomic<uint64_t> peak{0};
  std::atomic<int> samples{0};
  std::thread sampler([&] {
    while (loading) {
      uint64_t now = folder_bytes(dir());
      if (now > peak) peak = now;
      ++samples;
      sleep_for(2ms);
    }
  });
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      Conn c(port(), 2000ms);
      while (c.ok() && next++ < total) {
        if (!c.send(make_request("GET", "/open/a"))) return;
        auto r = c.read_response(10000ms);
        if (!r) return;
        if (r->status == 200) ++served;
      }
    });
  }
  for (auto& t : clients) t.join();
  std::string m;
  auto scrape = [&] {
    auto r = http_request(gw->admin_port(), "GET", "/metrics");
    m = r ? r->body : "";
    return m;
  };
  // Every event written (the writer is then idle: the files hold still while we read them).
  EXPECT_TRUE(eventually(20000ms, [&] {
    scrape();
    return metric(m, "postern_analytics_events_written_total") == total;
  })) << m;
  loading = false;
  sampler.join();
  uint64_t last = folder_bytes(dir());
  ASSERT_EQ(served.load(), total);
  EXPECT_GT(samples.load(), 10);
  EXPECT_LE(std::max(peak.load(), last), max_disk + batch_slack) << "peak over " << samples << " samples";
  std::cout << "analytics folder: peak " << peak << " bytes over " << samples << " samples, budget " << max_disk
            << "\n";

  // While it runs: the metrics, the gap records and the files agree.
  auto records = read_records(dir());
  double on_disk = double(only_type(records, "request").size()), lost = 0;
  auto gaps = only_type(records, "gap");
  for (const auto& g : gaps) lost += g["lost_events"].num();
  EXPECT_EQ(metric(m, "postern_analytics_events_total"), total);
  EXPECT_EQ(metric(m, "postern_analytics_events_dropped_total{reason=\"buffer_full\"}"), 0);
  EXPECT_GT(metric(m, "postern_analytics_files_dropped_total"), 0) << m;
  EXPECT_EQ(metric(m, "postern_analytics_files_dropped_total"), double(gaps.size())) << m;
  EXPECT_EQ(metric(m, "postern_analytics_events_dropped_total{reason=\"disk_budget\"}"), lost) << m;
  EXPECT_EQ(on_disk + lost, double(total)) << "events recorded = on disk + reported lost";
  for (const auto& f : event_files(dir())) {
    EXPECT_FALSE(f.string().ends_with(".gz")) << "the paused shipper sealed " << f;
  }

  // The last file closes at shutdown and may cost one more drop: still all accounted for.
  ASSERT_NO_FATAL_FAILURE(stop_gateway());
  records = read_records(dir());
  on_disk = double(only_type(records, "request").size());
  gaps = only_type(records, "gap");
  lost = 0;
  for (const auto& g : gaps) lost += g["lost_events"].num();
  EXPECT_EQ(on_disk + lost, double(total));
  size_t warnings = 0;
  for (size_t at = 0; (at = gw->log().find("disk budget (524288 bytes) exceeded: deleted", at)) != std::string::npos;
       ++at)
    ++warnings;
  EXPECT_EQ(gaps.size(), warnings);
  EXPECT_LE(folder_bytes(dir()), max_disk + batch_slack);
}

TEST_F(Analytics, PrometheusAcceptsTheMetrics) {
  ASSERT_NO_FATAL_FAILURE(start("  flush_interval: 100ms\n"));
  std::string two = token("--api Shop:2 --tier Two --app-id app-7");
  for (int i = 0; i < 4; ++i) http_request(port(), "GET", "/shop/items/1", {{"Authorization", "Bearer " + two}});
  http_request(port(), "GET", "/shop/items/1");
  http_request(port(), "GET", "/dead/a");
  auto r = http_request(gw->admin_port(), "GET", "/metrics");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  write_file(tmp / "metrics.txt", r->body);
  auto check = run_command("promtool check metrics < " + shell_quote((tmp / "metrics.txt").string()));
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_EQ(check.output, "") << "promtool lint findings";
  // What the issue asks /metrics to cover.
  for (const char* name :
       {"postern_requests_total", "postern_request_duration_seconds_bucket", "postern_local_replies_total",
        "postern_upstream_errors_total", "postern_analytics_events_buffered", "postern_analytics_files_pending",
        "postern_analytics_files_dropped_total"}) {
    EXPECT_NE(r->body.find(std::string("\n") + name), std::string::npos) << name;
  }
  EXPECT_NE(r->body.find("reason=\"throttled\""), std::string::npos);
  EXPECT_NE(r->body.find("reason=\"unauthorized\""), std::string::npos);
}

TEST_F(Analytics, ARealPrometheusScrapesTheGateway) {
  ASSERT_NO_FATAL_FAILURE(start("  flush_interval: 100ms\n"));
  for (int i = 0; i < 7; ++i) ASSERT_EQ(http_request(port(), "GET", "/open/a")->status, 200);
  const int prom_port = free_port();
  write_file(tmp / "prometheus.yml",
             "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
             "scrape_configs:\n"
             "  - job_name: postern\n"
             "    static_configs: [{targets: ['127.0.0.1:" +
                 std::to_string(gw->admin_port()) + "']}]\n");
  Process prom({"/usr/bin/prometheus", "--config.file=" + (tmp / "prometheus.yml").string(),
                "--storage.tsdb.path=" + (tmp / "prom-data").string(),
                "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
               tmp / "prometheus.log");
  // Prometheus's own view: the target is up and the series it stored have our values.
  std::string body;
  auto query = [&](const std::string& q) {
    auto r = http_request(prom_port, "GET", "/api/v1/query?query=" + q);
    body = r ? r->body : "";
    return body;
  };
  EXPECT_TRUE(
      eventually(30000ms, [&] { return query("up%7Bjob%3D%22postern%22%7D").find("\"1\"]") != std::string::npos; }))
      << body << prom.log();
  EXPECT_TRUE(eventually(10000ms, [&] {
    return query("sum(postern_requests_total%7Bapi%3D%22Open%3A1%22%7D)").find("\"7\"]") != std::string::npos;
  })) << body;
  EXPECT_TRUE(eventually(10000ms, [&] {
    return query("postern_analytics_events_written_total").find("\"7\"]") != std::string::npos;
  })) << body;
  EXPECT_TRUE(eventually(10000ms, [&] {
    return query("postern_request_duration_seconds_count").find("\"result\":[{") != std::string::npos;
  })) << body;
}

TEST_F(Analytics, TraceContextIsCreatedContinuedOrRestarted) {
  ASSERT_NO_FATAL_FAILURE(start("  flush_interval: 100ms\n"));
  auto backend_saw = [&](std::vector<std::pair<std::string, std::string>> h) {
    auto r = http_request(port(), "GET", "/open/a", h);
    EXPECT_TRUE(r && r->status == 200);
    return r ? *r->json() : Json();
  };
  // Absent: a new trace, sampled.
  auto j = backend_saw({});
  std::string tp = j["headers"]["traceparent"][0].str();
  ASSERT_EQ(tp.size(), 55u) << tp;
  EXPECT_EQ(tp.substr(0, 3), "00-");
  EXPECT_EQ(tp.substr(53), "01");
  EXPECT_TRUE(j["headers"]["tracestate"].is_null());
  // Valid: continued, tracestate forwarded unchanged, the sampled flag kept as sent.
  j = backend_saw({{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"},
                   {"tracestate", "congo=t61rcWkgMzE"}});
  tp = j["headers"]["traceparent"][0].str();
  EXPECT_EQ(tp.substr(0, 36), "00-4bf92f3577b34da6a3ce929d0e0e4736-");
  EXPECT_NE(tp.substr(36, 16), "00f067aa0ba902b7");
  EXPECT_EQ(tp.substr(53), "00");
  EXPECT_EQ(j["headers"]["tracestate"][0].str(), "congo=t61rcWkgMzE");
  EXPECT_EQ(j["headers"]["traceparent"].size(), 1u);
  // Invalid (upper-case hex, all-zero id, bad version): a new trace; its tracestate dropped.
  for (const char* bad : {"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "garbage"}) {
    j = backend_saw({{"traceparent", bad}, {"tracestate", "congo=t61rcWkgMzE"}});
    tp = j["headers"]["traceparent"][0].str();
    EXPECT_EQ(tp.size(), 55u) << bad;
    EXPECT_EQ(tp.find("4bf92f3577b34da6a3ce929d0e0e4736"), std::string::npos) << bad;
    EXPECT_EQ(tp.find("00000000000000000000000000000000"), std::string::npos) << bad;
    EXPECT_TRUE(j["headers"]["tracestate"].is_null()) << bad;
  }
}

}  // namespace
}  // namespace postern::itest
