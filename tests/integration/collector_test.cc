// `postern analytics collect` and `postern analytics report` as an operator runs them:
// the real binary on a loopback port, uploads with curl (gzip files built here), reports
// read back with `report --format json`, HTTPS with a self-signed certificate, a real
// PostgreSQL server started in a temp dir, and the HTML report rendered by headless
// Chromium.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <iostream>

#include "harness.h"
#include "postgres_server.h"

namespace postern::itest {
namespace {

constexpr int64_t kBase = 1795685490LL * 1000000;  // 2026-11-26T09:31:30Z
constexpr int64_t kMinute = 60LL * 1000000;

std::string q(const fs::path& p) { return shell_quote(p.string()); }

std::string gzip(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string();
}

// What one synthetic request event varies; the rest of schema v1 is filled in.
struct Ev {
  int64_t ts_us = kBase;
  int status = 200;
  int64_t total_us = 1000;
  std::string api = "pets", method = "GET", resource = "/items/{id}";
  std::string app_id = "7", app_name = "Shop", user = "alice";
  std::string error_source, error_reason, throttle_level;
  bool throttled = false;
};

std::string event_line(const Ev& e, int seq) {
  char buf[2048];
  std::snprintf(
      buf, sizeof buf,
      "{\"schema\":1,\"type\":\"request\",\"time\":\"2026-11-26T09:31:30.000000Z\",\"ts_us\":%lld,"
      "\"request_id\":\"req-%d\",\"trace_id\":\"0af7651916cd43dd8448eb211c80319c\",\"node\":\"gw-1\","
      "\"api\":\"%s\",\"api_version\":\"1.0.0\",\"base_path\":\"/%s\",\"resource\":\"%s\",\"method\":\"%s\","
      "\"app_id\":\"%s\",\"app_name\":\"%s\",\"consumer_key\":\"ck\",\"user\":\"%s\",\"key_type\":\"PRODUCTION\","
      "\"client_ip\":\"127.0.0.1\",\"user_agent\":\"itest\",\"status\":%d,\"error_code\":%d,"
      "\"error_source\":\"%s\",\"error_reason\":\"%s\",\"throttled\":%s,\"throttle_level\":\"%s\","
      "\"cache_hit\":false,\"bytes_in\":0,\"bytes_out\":100,\"total_us\":%lld,\"upstream_us\":%lld,"
      "\"gateway_us\":%lld,\"endpoint\":\"127.0.0.1:9\",\"future_key\":[1,2,3]}\n",
      static_cast<long long>(e.ts_us), seq, e.api.c_str(), e.api.c_str(), e.resource.c_str(), e.method.c_str(),
      e.app_id.c_str(), e.app_name.c_str(), e.user.c_str(), e.status, e.status >= 400 ? e.status : 0,
      e.error_source.c_str(), e.error_reason.c_str(), e.throttled ? "true" : "false", e.throttle_level.c_str(),
      static_cast<long long>(e.total_us), static_cast<long long>(e.total_us / 2),
      static_cast<long long>(e.total_us - e.total_us / 2));
  return buf;
}

std::string gap_line(const std::string& lost_file, int lost_events) {
  return "{\"schema\":1,\"type\":\"gap\",\"time\":\"2026-11-26T09:40:00.000000Z\",\"ts_us\":" +
         std::to_string(kBase + 8 * kMinute) + ",\"node\":\"gw-1\",\"lost_file_id\":\"" + lost_file +
         "\",\"lost_events\":" + std::to_string(lost_events) + ",\"reason\":\"disk_budget\"}\n";
}

// `n` plain 200s a second apart, from `start`.
std::string simple_events(int n, int64_t start = kBase, int first_seq = 0) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    Ev e;
    e.ts_us = start + i * 1000000LL;
    e.total_us = 1000 + i;
    s += event_line(e, first_seq + i);
  }
  return s;
}

// A JSON boolean's value; nullopt when it is not a boolean.
std::optional<bool> boolean(const Json& j) {
  if (auto* b = std::get_if<bool>(&j.v)) return *b;
  return std::nullopt;
}

int count_lines(std::string_view s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

struct HttpResult {
  int status = 0;
  std::string body;
  std::string headers;
  std::optional<Json> json() const { return Json::parse(body); }
};

class Collector : public ::testing::Test {
 protected:
  static constexpr const char* kToken = "itest-collector-token-0123456789";

  // Starts `postern analytics collect` with `args` after --listen/--db; waits for /v1/health.
  void start(const std::vector<std::string>& args, bool tls = false) {
    port_ = free_port();
    tls_ = tls;
    std::vector<std::string> argv{
        postern_binary(), "analytics", "collect", "--listen", "127.0.0.1:" + std::to_string(port_), "--db", db_};
    argv.insert(argv.end(), args.begin(), args.end());
    proc_ = std::make_unique<Process>(argv, tmp / ("collector-" + std::to_string(port_) + ".log"));
    ASSERT_TRUE(eventually(20000ms, [&] { return !proc_->alive() || health() == 200; }) && proc_->alive())
        << "collector did not start:\n"
        << proc_->log();
  }
  void start_with_token(std::vector<std::string> extra = {}, bool tls = false) {
    write_file(tmp / "token", std::string(kToken) + "\n");
    std::vector<std::string> args{"--token-file", (tmp / "token").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_NO_FATAL_FAILURE(start(args, tls));
  }

  std::string base() const { return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_); }
  std::string curl_tls() const { return tls_ ? " --cacert " + q(tmp / "cert.pem") : ""; }

  int health() {
    auto r = run_command("curl -s -o /dev/null -w '%{http_code}' --max-time 5" + curl_tls() + " " + base() +
                             "/v1/health",
                         10);
    return std::atoi(r.output.c_str());
  }

  // POSTs `content` (gzip-compressed unless `plain`) as <file_id> with `auth` curl args.
  HttpResult post(const std::string& file_id, const std::string& content, const std::string& auth, bool plain = false,
                  std::optional<int> events = std::nullopt, const std::string& extra = "") {
    fs::path body = tmp / ("upload-" + std::to_string(++uploads_));
    write_file(body, plain ? content : gzip(content));
    fs::path out = tmp / "resp-body", hdr = tmp / "resp-head";
    std::string cmd = "curl -sS --max-time 120 -o " + q(out) + " -D " + q(hdr) + " -w '%{http_code}'" + curl_tls() +
                      " -H 'Content-Type: application/x-ndjson' -H 'X-Postern-Node: gw-1'" +
                      (plain ? "" : " -H 'Content-Encoding: gzip'") +
                      " -H 'X-Postern-Events: " + std::to_string(events.value_or(count_lines(content))) + "' " + auth +
                      " " + extra + " --data-binary @" + q(body) + " " + base() + "/v1/files/" + file_id;
    auto r = run_command(cmd, 150, false);
    HttpResult h;
    h.status = std::atoi(r.output.c_str());
    h.body = read_file(out);
    h.headers = read_file(hdr);
    return h;
  }
  std::string bearer(const std::string& token = kToken) const {
    return "-H " + shell_quote("Authorization: Bearer " + token);
  }

  // `postern analytics report --format json` on the same database.
  Json report(const std::string& args = "") {
    auto r = run_command(shell_quote(postern_binary()) + " analytics report --db " + shell_quote(db_) +
                             " --format json " + args,
                         120, false);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    auto j = Json::parse(r.output);
    EXPECT_TRUE(j) << "report is not JSON: " << r.output;
    return j ? *j : Json{};
  }

  void TearDown() override {
    if (proc_ && proc_->alive()) {
      proc_->signal(SIGTERM);
      auto st = proc_->wait_exit(15000ms);
      EXPECT_TRUE(st) << "collector did not exit within 15 s of SIGTERM";
      if (st) {
        EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << "collector " << describe_status(*st);
      }
    }
    if (proc_) {
      EXPECT_EQ(sanitizer_report(proc_->log()), "") << "sanitizer report in the collector log";
      if (HasFailure()) std::cerr << "----- collector log -----\n" << proc_->log() << "-----\n";
    }
  }

  // Common checks, run against SQLite and PostgreSQL alike.
  void check_ingest_and_dedupe() {
    std::string a = simple_events(300),
                b = simple_events(200, kBase + 600 * 1000000LL, 1000) + gap_line("gw-1-lost", 17);
    HttpResult r = post("gw-1-20261126T093130Z-aaaa", a, bearer());
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = r.json();
    ASSERT_TRUE(j) << r.body;
    EXPECT_EQ((*j)["file_id"].str(), "gw-1-20261126T093130Z-aaaa");
    EXPECT_EQ((*j)["events"].num(), 300);
    EXPECT_EQ(boolean((*j)["duplicate"]), std::optional<bool>(false));
    r = post("gw-1-20261126T094130Z-bbbb", b, bearer());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ((*r.json())["events"].num(), 201);
    // The lost-acknowledgement retry: same file again, answered 200 duplicate, counted once.
    r = post("gw-1-20261126T093130Z-aaaa", a, bearer());
    ASSERT_EQ(r.status, 200) << r.body;
    j = r.json();
    EXPECT_EQ(boolean((*j)["duplicate"]), std::optional<bool>(true)) << r.body;
    EXPECT_EQ((*j)["events"].num(), 300);
    Json rep = report();
    EXPECT_EQ(rep["totals"]["requests"].num(), 500);
    EXPECT_EQ(rep["totals"]["errors"].num(), 0);
    EXPECT_EQ(rep["totals"]["lost_events"].num(), 17);
    ASSERT_EQ(rep["gaps"].size(), 1u);
    EXPECT_EQ(rep["gaps"][0]["lost_file_id"].str(), "gw-1-lost");
    ASSERT_EQ(rep["apis"].size(), 1u);
    EXPECT_EQ(rep["apis"][0]["api"].str(), "pets");
    EXPECT_EQ(rep["apis"][0]["requests"].num(), 500);
    // A window: the first file's 300 events are 09:31:30..09:36:29; the second starts 09:41:30.
    rep = report("--since 2026-11-26T09:31:30Z --until 2026-11-26T09:40:00Z");
    EXPECT_EQ(rep["totals"]["requests"].num(), 300);
    EXPECT_EQ(rep["window"]["bucket"].str(), "minute");
    // Latencies 1000..1299 us: nearest-rank p50 = 150th = 1149 us.
    EXPECT_EQ(rep["totals"]["p50_ms"].num(), 1.149);
  }

  void check_malformed_stores_nothing() {
    std::string good = simple_events(5);
    std::string bad = good + "{\"schema\":2,\"type\":\"request\"}\n" + simple_events(3, kBase, 10);
    HttpResult r = post("gw-1-bad", bad, bearer());
    EXPECT_EQ(r.status, 400) << r.body;
    auto j = r.json();
    ASSERT_TRUE(j) << r.body;
    EXPECT_EQ((*j)["line"].num(), 6);
    EXPECT_FALSE((*j)["error"].str().empty());
    // Not gzip at all although the header says so.
    r = post("gw-1-bad", good, bearer(), true, std::nullopt, "-H 'Content-Encoding: gzip'");
    EXPECT_EQ(r.status, 400) << r.body;
    // Event count header mismatch.
    r = post("gw-1-bad", good, bearer(), false, 4);
    EXPECT_EQ(r.status, 400) << r.body;
    // A bad file_id.
    r = post("bad%20id", good, bearer());
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(report()["totals"]["requests"].num(), 0);
    // The file_id was not taken by the refused uploads.
    r = post("gw-1-bad", good, bearer());
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(boolean((*r.json())["duplicate"]), std::optional<bool>(false));
    EXPECT_EQ(report()["totals"]["requests"].num(), 5);
  }

  // Strings that need escaping on every path: JSON in, COPY/bind into the database, JSON
  // out. Event fields are written JSON-escaped into event_line.
  void check_strings_round_trip() {
    Ev e;
    e.user = "a\\u0000b";                                                   // NUL: stored as U+FFFD
    e.app_name = "tab\\there\\nline \\\\ back \\\"q\\\" \xc3\xa9 \\u2028";  // \t \n \\ \" é U+2028
    e.app_id = "x";
    HttpResult r = post("gw-1-strings", event_line(e, 1), bearer());
    ASSERT_EQ(r.status, 200) << r.body;
    Json rep = report();
    ASSERT_EQ(rep["top_users"].size(), 1u);
    EXPECT_EQ(rep["top_users"][0]["user"].str(),
              "a\xEF\xBF\xBD"
              "b");
    ASSERT_EQ(rep["applications"].size(), 1u);
    EXPECT_EQ(rep["applications"][0]["app_name"].str(), "tab\there\nline \\ back \"q\" \xc3\xa9 \xe2\x80\xa8");
  }

  void check_large_file() {
    constexpr int kEvents = 100000;
    std::string big = simple_events(kEvents);
    HttpResult r = post("gw-1-big", big, bearer());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ((*r.json())["events"].num(), kEvents);
    EXPECT_EQ(report()["totals"]["requests"].num(), kEvents);
  }

  TempDir tmp;
  std::string db_ = (tmp / "events.db").string();
  int port_ = 0;
  bool tls_ = false;
  int uploads_ = 0;
  std::unique_ptr<Process> proc_;
};

TEST_F(Collector, SqliteIngestDedupeAndReport) {
  db_ = "sqlite://" + (tmp / "events.db").string();
  ASSERT_NO_FATAL_FAILURE(start_with_token());
  check_ingest_and_dedupe();
  // One log line per file: id, events, duplicate, ms.
  EXPECT_NE(proc_->log().find("analytics file gw-1-20261126T093130Z-aaaa events 300 duplicate true"),
            std::string::npos);
}

TEST_F(Collector, SqliteMalformedUploadStoresNothing) {
  ASSERT_NO_FATAL_FAILURE(start_with_token());
  check_malformed_stores_nothing();
}

TEST_F(Collector, SqliteStringsRoundTrip) {
  ASSERT_NO_FATAL_FAILURE(start_with_token());
  check_strings_round_trip();
}

TEST_F(Collector, SqliteHundredThousandEventFile) {
  ASSERT_NO_FATAL_FAILURE(start_with_token());
  check_large_file();
}

TEST_F(Collector, RefusesMissingAndWrongCredentials) {
  ASSERT_NO_FATAL_FAILURE(start_with_token());
  std::string content = simple_events(3);
  HttpResult r = post("gw-1-x", content, "");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_NE(r.headers.find("WWW-Authenticate: Bearer"), std::string::npos) << r.headers;
  r = post("gw-1-x", content, bearer("itest-collector-token-012345678"));  // a prefix of the right one
  EXPECT_EQ(r.status, 401) << r.body;
  r = post("gw-1-x", content, bearer(std::string(kToken) + "9"));
  EXPECT_EQ(r.status, 401) << r.body;
  r = post("gw-1-x", content, "-u gw:" + std::string(kToken));  // Basic is not configured
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(report()["totals"]["requests"].num(), 0);
  r = post("gw-1-x", content, bearer());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(report()["totals"]["requests"].num(), 3);
}

TEST_F(Collector, BasicAuthAndBearerTogether) {
  ::setenv("POSTERN_ITEST_COLLECTOR_PW", "basic-pass:with-colon", 1);
  ASSERT_NO_FATAL_FAILURE(
      start_with_token({"--basic-user", "gateway", "--password-env", "POSTERN_ITEST_COLLECTOR_PW"}));
  EXPECT_EQ(post("gw-1-a", simple_events(2), "-u gateway:basic-pass:with-colon").status, 200);
  EXPECT_EQ(post("gw-1-b", simple_events(2), bearer()).status, 200);
  HttpResult r = post("gw-1-c", simple_events(2), "-u gateway:wrong");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.headers.find("Basic realm"), std::string::npos) << r.headers;
  EXPECT_EQ(post("gw-1-c", simple_events(2), "-u other:basic-pass:with-colon").status, 401);
  EXPECT_EQ(report()["totals"]["requests"].num(), 4);
}

TEST_F(Collector, HttpsWithSelfSignedCertificate) {
  auto r = run_command(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
          q(tmp / "key.pem") + " -out " + q(tmp / "cert.pem"),
      60);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_NO_FATAL_FAILURE(
      start_with_token({"--tls-cert", (tmp / "cert.pem").string(), "--tls-key", (tmp / "key.pem").string()}, true));
  HttpResult h = post("gw-1-tls", simple_events(10), bearer());
  EXPECT_EQ(h.status, 200) << h.body;
  EXPECT_EQ(post("gw-1-tls", simple_events(10), bearer()).body.find("\"duplicate\":true") != std::string::npos, true);
  // Without the certificate curl refuses the server; plain HTTP gets no answer.
  auto no_ca = run_command("curl -s -o /dev/null -w '%{http_code}' --max-time 5 " + base() + "/v1/health", 10);
  EXPECT_NE(no_ca.exit_code, 0);
  auto plain = run_command("curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:" +
                               std::to_string(port_) + "/v1/health",
                           10);
  EXPECT_NE(plain.output, "200");
  EXPECT_EQ(report()["totals"]["requests"].num(), 10);
}

TEST_F(Collector, SizeLimits) {
  ASSERT_NO_FATAL_FAILURE(start_with_token({"--max-file-size", "20000"}));
  // Body over the limit (plain).
  std::string big = simple_events(100);
  ASSERT_GT(big.size(), 20000u);
  HttpResult r = post("gw-1-big", big, bearer(), true);
  EXPECT_EQ(r.status, 413) << r.body;
  // Small gzip body whose decompressed size is over the limit.
  std::string z = gzip(big);
  ASSERT_LT(z.size(), 20000u);
  r = post("gw-1-bomb", big, bearer());
  EXPECT_EQ(r.status, 413) << r.body;
  // Under the limit: stored.
  r = post("gw-1-small", simple_events(10), bearer());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(report()["totals"]["requests"].num(), 10);
}

TEST_F(Collector, HealthAndUnknownPaths) {
  ASSERT_NO_FATAL_FAILURE(start_with_token());
  auto r = run_command("curl -s " + base() + "/v1/health", 10, false);
  EXPECT_EQ(r.output, "{\"status\":\"ok\"}\n");
  r = run_command("curl -s -o /dev/null -w '%{http_code}' " + base() + "/v1/nothing", 10, false);
  EXPECT_EQ(r.output, "404");
  r = run_command("curl -s -o /dev/null -w '%{http_code}' -H " +
                      shell_quote("Authorization: Bearer " + std::string(kToken)) + " " + base() + "/v1/files/x",
                  10, false);
  EXPECT_EQ(r.output, "405");  // GET on an upload URL
}

TEST_F(Collector, RefusesToStartWithoutCredentials) {
  Process p({postern_binary(), "analytics", "collect", "--listen", "127.0.0.1:" + std::to_string(free_port()), "--db",
             db_},
            tmp / "noauth.log");
  auto st = p.wait_exit(20000ms);
  ASSERT_TRUE(st);
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) != 0);
  EXPECT_NE(p.log().find("no credentials"), std::string::npos) << p.log();
}

// Events covering every chart: two APIs, several statuses, throttled and rejected calls.
std::string varied_events() {
  std::string s;
  int seq = 0;
  for (int i = 0; i < 40; ++i) {
    Ev e;
    e.ts_us = kBase + (i % 20) * kMinute;
    e.total_us = 1000 + 137 * i;
    e.status = i % 10 == 3 ? 404 : i % 10 == 7 ? 502 : 200;
    if (e.status == 502) e.error_source = "upstream", e.error_reason = "connection refused";
    s += event_line(e, seq++);
  }
  for (int i = 0; i < 12; ++i) {
    Ev e;
    e.api = "orders";
    e.method = "POST";
    e.resource = "/orders";
    e.app_id = "9";
    e.app_name = "Backoffice <admin>";  // escaped in the page
    e.user = "bob";
    e.ts_us = kBase + i * kMinute;
    e.total_us = 5000 + 1000 * i;
    if (i % 3 == 0) {
      e.status = 429;
      e.throttled = true;
      e.throttle_level = "subscription";
      e.error_source = "throttle";
      e.error_reason = "subscription quota exceeded";
    } else if (i % 4 == 1) {
      e.status = 401;
      e.error_source = "auth";
      e.error_reason = "invalid credentials";
    }
    s += event_line(e, seq++);
  }
  return s;
}

TEST_F(Collector, HtmlReportRenderedByChromium) {
  // tools/install-deps installs chromium; a missing browser fails rather than skips, so
  // the rendering check can never silently stop running.
  ASSERT_TRUE(fs::exists("/usr/bin/chromium")) << "/usr/bin/chromium is missing (Debian package chromium)";
  ASSERT_NO_FATAL_FAILURE(start_with_token());
  ASSERT_EQ(post("gw-1-html", varied_events() + gap_line("gw-1-dropped", 250), bearer()).status, 200);
  fs::path html = tmp / "report.html";
  auto r = run_command(shell_quote(postern_binary()) + " analytics report --db " + shell_quote(db_) +
                           " --format html --output " + q(html),
                       60);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string page = read_file(html);
  ASSERT_FALSE(page.empty());
  // Self-contained: no reference to anything on a network.
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("Backoffice <admin>"), std::string::npos);
  EXPECT_NE(page.find("Backoffice &lt;admin&gt;"), std::string::npos);
  size_t bars = 0;
  for (size_t p = 0; (p = page.find("class=\"bar\"", p)) != std::string::npos; ++p) ++bars;
  ASSERT_GT(bars, 10u);

  // The page measures its own charts after layout and records the counts on <body>.
  fs::path profile = tmp / "chromium-profile";
  r = run_command("HOME=" + q(tmp.path()) +
                      " /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
                      "--no-first-run --no-default-browser-check --user-data-dir=" +
                      q(profile) + " --dump-dom file://" + html.string() + " 2>/dev/null",
                  120, false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string dom = r.output;
  EXPECT_NE(dom.find("data-charts=\"4\""), std::string::npos) << dom.substr(0, 3000);
  EXPECT_NE(dom.find("data-charts-drawn=\"4\""), std::string::npos) << dom.substr(0, 3000);
  std::string marks = "data-marks=\"" + std::to_string(bars) + "\"";
  std::string visible = "data-marks-visible=\"" + std::to_string(bars) + "\"";
  EXPECT_NE(dom.find(marks), std::string::npos) << marks;
  EXPECT_NE(dom.find(visible), std::string::npos) << visible;
}

TEST_F(Collector, TextAndJsonReportContent) {
  ASSERT_NO_FATAL_FAILURE(start_with_token());
  ASSERT_EQ(post("gw-1-v", varied_events(), bearer()).status, 200);
  Json rep = report();
  EXPECT_EQ(rep["totals"]["requests"].num(), 52);
  EXPECT_EQ(rep["totals"]["throttled"].num(), 4);
  ASSERT_EQ(rep["throttled"].size(), 1u);
  EXPECT_EQ(rep["throttled"][0]["level"].str(), "subscription");
  EXPECT_EQ(rep["throttled"][0]["requests"].num(), 4);
  bool saw_auth = false;
  for (const Json& x : rep["rejected"].arr())
    if (x["source"].str() == "auth" && x["reason"].str() == "invalid credentials")
      saw_auth = x["requests"].num() == 2;  // i = 1, 5 (9 is throttled)
  EXPECT_TRUE(saw_auth);
  EXPECT_EQ(rep["status_classes"]["2xx"].num(), 32 + 6);  // pets: 40 - 4 x 404 - 4 x 502; orders: 12 - 4 - 2
  EXPECT_EQ(rep["top_users"][0]["user"].str(), "alice");
  EXPECT_EQ(rep["top_applications"][1]["app_name"].str(), "Backoffice <admin>");
  auto text = run_command(shell_quote(postern_binary()) + " analytics report --db " + shell_quote(db_), 60, false);
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.output.find("Per resource"), std::string::npos);
  EXPECT_NE(text.output.find("orders POST /orders"), std::string::npos) << text.output;
  // Bad arguments are refused with a message, not a crash.
  auto bad = run_command(shell_quote(postern_binary()) + " analytics report --db " + shell_quote(db_) +
                             " --since yesterday",
                         30);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
}

// PostgreSQL: the same checks against a real server this test starts.
class CollectorPostgres : public Collector {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(std::string(PostgresServer::kBin) + "/postgres"))
        << PostgresServer::kBin << "/postgres is missing (Debian package postgresql)";
    try {
      pg = std::make_unique<PostgresServer>();
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
    db_ = pg->url();
  }
  void TearDown() override {
    Collector::TearDown();
    if (HasFailure() && pg) std::cerr << "----- postgres log -----\n" << pg->log() << "-----\n";
    pg.reset();
  }
  std::unique_ptr<PostgresServer> pg;
};

TEST_F(CollectorPostgres, IngestDedupeAndReport) {
  ASSERT_NO_FATAL_FAILURE(start_with_token());
  check_ingest_and_dedupe();
}

TEST_F(CollectorPostgres, MalformedUploadStoresNothing) {
  ASSERT_NO_FATAL_FAILURE(start_with_token());
  check_malformed_stores_nothing();
}

TEST_F(CollectorPostgres, StringsRoundTrip) {
  ASSERT_NO_FATAL_FAILURE(start_with_token());
  check_strings_round_trip();
}

TEST_F(CollectorPostgres, HundredThousandEventFile) {
  ASSERT_NO_FATAL_FAILURE(start_with_token());
  check_large_file();
}

// The database goes away: uploads get 503 (the gateway retries), nothing is lost, and once
// it is back the same collector stores the retried file.
TEST_F(CollectorPostgres, DatabaseDownAnswers503ThenRecovers) {
  ASSERT_NO_FATAL_FAILURE(start_with_token());
  ASSERT_EQ(post("gw-1-first", simple_events(3), bearer()).status, 200);
  pg->stop();
  HttpResult r = post("gw-1-second", simple_events(4), bearer());
  EXPECT_EQ(r.status, 503) << r.body;
  pg->start();
  r = post("gw-1-second", simple_events(4), bearer());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(report()["totals"]["requests"].num(), 7);
}

// A database created by a collector from before api_owner: the collector adds the column
// when it opens it (old rows get ""), stores owners from new gateways and accepts events
// without the key from old ones.
TEST_F(CollectorPostgres, OldDatabaseGetsTheApiOwnerColumn) {
  // The events table exactly as the first release created it.
  const std::string old_schema =
      "CREATE TABLE files (file_id TEXT PRIMARY KEY, node TEXT NOT NULL, events BIGINT NOT NULL, "
      "received_at TEXT NOT NULL);"
      "CREATE TABLE events (file_id TEXT NOT NULL REFERENCES files(file_id), time TEXT NOT NULL, ts_us BIGINT NOT "
      "NULL, "
      "request_id TEXT NOT NULL, trace_id TEXT NOT NULL, node TEXT NOT NULL, api TEXT NOT NULL, api_version TEXT NOT "
      "NULL, base_path TEXT NOT NULL, resource TEXT NOT NULL, method TEXT NOT NULL, app_id TEXT NOT NULL, app_name "
      "TEXT NOT NULL, consumer_key TEXT NOT NULL, user_name TEXT NOT NULL, key_type TEXT NOT NULL, client_ip TEXT NOT "
      "NULL, user_agent TEXT NOT NULL, status BIGINT NOT NULL, error_code BIGINT NOT NULL, error_source TEXT NOT NULL, "
      "error_reason TEXT NOT NULL, throttled BOOLEAN NOT NULL, throttle_level TEXT NOT NULL, cache_hit BOOLEAN NOT "
      "NULL, bytes_in BIGINT NOT NULL, bytes_out BIGINT NOT NULL, total_us BIGINT NOT NULL, upstream_us BIGINT NOT "
      "NULL, gateway_us BIGINT NOT NULL, endpoint TEXT NOT NULL);"
      "INSERT INTO files VALUES ('old', 'gw-1', 1, '2026-11-26T09:00:00.000000Z');"
      "INSERT INTO events VALUES ('old', '2026-11-26T09:31:30.000000Z', " +
      std::to_string(kBase) +
      ", 'r', 't', 'gw-1', 'pets', '1.0.0', '/pets', '/items/{id}', 'GET', '7', 'Shop', 'ck', 'alice', 'PRODUCTION', "
      "'127.0.0.1', 'ua', 200, 0, '', '', false, '', false, 0, 0, 1000, 500, 500, 'e');";
  auto r = run_command(std::string(PostgresServer::kBin) + "/psql -v ON_ERROR_STOP=1 -q " + shell_quote(pg->url()) +
                           " -c " + shell_quote(old_schema),
                       60);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_NO_FATAL_FAILURE(start_with_token());
  Ev e;
  std::string with_owner = event_line(e, 1);
  with_owner.replace(with_owner.find("\"future_key\""), 0, "\"api_owner\":\"carol\",");
  HttpResult h = post("gw-1-new", with_owner + event_line(e, 2), bearer());
  ASSERT_EQ(h.status, 200) << h.body;
  Json rep = report();
  EXPECT_EQ(rep["totals"]["requests"].num(), 3);
  ASSERT_EQ(rep["apis"].size(), 1u);
  EXPECT_EQ(rep["apis"][0]["owner"].str(), "carol");
  auto cols = run_command(std::string(PostgresServer::kBin) + "/psql -At " + shell_quote(pg->url()) + " -c " +
                              shell_quote("SELECT api_owner, count(*) FROM events GROUP BY 1 ORDER BY 1"),
                          60, false);
  EXPECT_EQ(cols.output, "|2\ncarol|1\n");
}

}  // namespace
}  // namespace postern::itest
