// Process lifecycle and operations: admin endpoints, SIGHUP reload, SIGTERM drain,
// `postern validate` / `postern init`, the access log.
#include <signal.h>
#include <sys/wait.h>

#include <regex>
#include <sstream>

#include "fixture.h"

namespace postern::itest {
namespace {

using Admin = GatewayTest;

TEST_F(Admin, HealthAndReady) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  auto h = http_request(gw->admin_port(), "GET", "/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  auto r = http_request(gw->admin_port(), "GET", "/ready");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  // Admin endpoints are not served on the data-plane listener.
  auto d = http_request(port(), "GET", "/health");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->status, 404);
}

TEST_F(Admin, MetricsInPrometheusFormat) {
  int dead_port = free_port();
  start_echo();
  GatewayOptions o;
  o.apis["pets.yaml"] = pets_api(echo->url());
  o.apis["dead.yaml"] =
      "openapi: 3.0.0\nx-wso2-disable-security: true\n"
      "info: {title: Dead, version: v1}\n"
      "x-wso2-basePath: /dead\n"
      "x-wso2-production-endpoints: {urls: [\"http://127.0.0.1:" +
      std::to_string(dead_port) +
      "\"]}\n"
      "paths:\n"
      "  /x: {get: {}}\n";
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  for (int i = 0; i < 3; ++i) {
    auto r = http_request(port(), "GET", "/pets/1.0.0/items/1");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
  }
  auto d = http_request(port(), "GET", "/dead/x");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->status, 502);
  Conn open_conn(port());  // one connection held open while scraping
  ASSERT_TRUE(open_conn.ok());
  // A completed request proves the gateway has accepted it (not just the kernel).
  ASSERT_TRUE(open_conn.send(make_request("GET", "/pets/1.0.0/items/2")));
  ASSERT_TRUE(open_conn.read_response());

  auto m = http_request(gw->admin_port(), "GET", "/metrics");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->status, 200);
  auto ct = m->header("content-type");
  EXPECT_TRUE(ct && ct->find("text/plain") != std::string::npos) << ct.value_or("(none)");
  const std::string& text = m->body;
  // Sum postern_requests_total{...status_class="2xx"...} over labels.
  std::istringstream in(text);
  std::string line;
  double ok_requests = 0, upstream_errors = -1, active = -1;
  bool histogram_bucket = false, histogram_type = false, has_api_label = false;
  while (std::getline(in, line)) {
    if (line.rfind("postern_requests_total{", 0) == 0) {
      if (line.find("api=") != std::string::npos && line.find("route=") != std::string::npos) has_api_label = true;
      if (line.find("status_class=\"2xx\"") != std::string::npos)
        ok_requests += std::stod(line.substr(line.rfind(' ') + 1));
    }
    if (line.rfind("postern_upstream_errors_total", 0) == 0)
      upstream_errors = std::max(upstream_errors, 0.0) + std::stod(line.substr(line.rfind(' ') + 1));
    if (line.rfind("postern_active_connections", 0) == 0)
      active = std::max(active, 0.0) + std::stod(line.substr(line.rfind(' ') + 1));
    if (line.rfind("postern_request_duration_seconds_bucket{", 0) == 0) histogram_bucket = true;
    if (line == "# TYPE postern_request_duration_seconds histogram") histogram_type = true;
  }
  EXPECT_TRUE(has_api_label) << text;
  EXPECT_GE(ok_requests, 3) << text;
  EXPECT_GE(upstream_errors, 1) << text;
  EXPECT_GE(active, 1) << text;
  EXPECT_TRUE(histogram_bucket) << text;
  EXPECT_TRUE(histogram_type) << text;
}

// ---------------------------------------------------------------------------------------

using Reload = GatewayTest;

const std::string kNewRoute = "  /fresh: {get: {}}\n";

TEST_F(Reload, SighupAppliesNewRoutesWithoutDroppingInFlightRequest) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  auto before = http_request(port(), "GET", "/pets/1.0.0/fresh");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 404);

  Conn in_flight(port());
  ASSERT_TRUE(in_flight.ok());
  ASSERT_TRUE(in_flight.send(make_request("GET", "/pets/1.0.0/items/77?delay_ms=1500")));
  sleep_for(300ms);  // let it reach the backend

  write_file(gw->dir() / "apis" / "pets.yaml", pets_api(echo->url(), kNewRoute));
  gw->process().signal(SIGHUP);
  bool reloaded = eventually(5000ms, [&] {
    auto r = http_request(port(), "GET", "/pets/1.0.0/fresh", {}, {}, 2000ms);
    return r && r->status == 200;
  });
  EXPECT_TRUE(reloaded) << "new route not served within 5 s of SIGHUP";

  auto r = in_flight.read_response(5000ms);
  ASSERT_TRUE(r) << "in-flight request lost across reload: " << in_flight.error();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(echo_of(*r)["path"].str(), "/items/77");
}

TEST_F(Reload, KeepAliveConnectionSurvivesAndSeesNewConfig) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  Conn idle(port());  // a keep-alive connection opened before the reload
  ASSERT_TRUE(idle.ok());
  ASSERT_TRUE(idle.send(make_request("GET", "/pets/1.0.0/items/1")));
  auto first = idle.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);

  write_file(gw->dir() / "apis" / "pets.yaml", pets_api(echo->url(), kNewRoute));
  gw->process().signal(SIGHUP);
  ASSERT_TRUE(eventually(5000ms, [&] {
    auto r = http_request(port(), "GET", "/pets/1.0.0/fresh", {}, {}, 2000ms);
    return r && r->status == 200;
  })) << "new route not served within 5 s of SIGHUP";

  // The next request on the old connection is a new request: it gets the new snapshot.
  ASSERT_TRUE(idle.send(make_request("GET", "/pets/1.0.0/fresh")));
  auto r = idle.read_response();
  ASSERT_TRUE(r) << "keep-alive connection dropped by the reload: " << idle.error();
  EXPECT_EQ(r->status, 200) << "a connection opened before the reload still routes with the old config";
  EXPECT_EQ(echo_of(*r)["path"].str(), "/fresh");
}

TEST_F(Reload, SighupRemovesRoutes) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  std::string doc =
      "openapi: 3.0.0\nx-wso2-disable-security: true\n"
      "info: {title: Pets, version: 1.0.0}\n"
      "x-wso2-basePath: /pets/{version}\n"
      "x-wso2-production-endpoints: {urls: [\"" +
      echo->url() +
      "\"]}\n"
      "paths:\n"
      "  /items: {get: {}}\n";
  write_file(gw->dir() / "apis" / "pets.yaml", doc);
  gw->process().signal(SIGHUP);
  EXPECT_TRUE(eventually(5000ms, [&] {
    auto r = http_request(port(), "GET", "/pets/1.0.0/items/1", {}, {}, 2000ms);
    return r && r->status == 404;
  })) << "removed route still served";
  auto r = http_request(port(), "GET", "/pets/1.0.0/items");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(Reload, InvalidConfigKeepsOldOneInForce) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  write_file(gw->dir() / "apis" / "pets.yaml",
             "openapi: 3.0.0\ninfo: {title: Pets, version: 1.0.0\npaths: [this is: not valid\n");
  gw->process().signal(SIGHUP);
  // Nothing observable changes on a failed reload, so give it time to try.
  sleep_for(1500ms);
  ASSERT_TRUE(gw->process().alive()) << "gateway died on an invalid reload";
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/5");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto ready = http_request(gw->admin_port(), "GET", "/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  // The error is logged with its location.
  EXPECT_NE(gw->log().find("pets.yaml:"), std::string::npos) << "reload error not logged with file:line";
  // Fixing the file and reloading again works.
  write_file(gw->dir() / "apis" / "pets.yaml", pets_api(echo->url(), kNewRoute));
  gw->process().signal(SIGHUP);
  EXPECT_TRUE(eventually(5000ms, [&] {
    auto f = http_request(port(), "GET", "/pets/1.0.0/fresh", {}, {}, 2000ms);
    return f && f->status == 200;
  }));
}

// Extensions Postern accepts but does not enforce are logged as warnings with their
// location, at start and at every reload (docs/configuration.md "Extensions").
TEST_F(Reload, UnenforcedExtensionsAreLoggedAtStartAndReload) {
  start_echo();
  GatewayOptions o;
  o.apis["pets.yaml"] = "x-wso2-cors: {accessControlAllowOrigins: ['*']}\n" + pets_api(echo->url());
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  EXPECT_NE(gw->log().find("apis/pets.yaml:1:1: warning: 'x-wso2-cors' is not enforced by Postern yet"),
            std::string::npos)
      << gw->log();
  write_file(gw->dir() / "apis" / "pets.yaml",
             "x-wso2-response-cache: {enabled: true}\n" + pets_api(echo->url(), kNewRoute));
  gw->process().signal(SIGHUP);
  EXPECT_TRUE(eventually(5000ms, [&] {
    auto f = http_request(port(), "GET", "/pets/1.0.0/fresh", {}, {}, 2000ms);
    return f && f->status == 200;
  })) << "the reload with a warning was not applied";
  EXPECT_NE(gw->log().find("reload: "), std::string::npos);
  EXPECT_NE(gw->log().find("apis/pets.yaml:1:1: warning: 'x-wso2-response-cache' is not enforced by Postern yet"),
            std::string::npos)
      << gw->log();
}

// ---------------------------------------------------------------------------------------

using Drain = GatewayTest;

TEST_F(Drain, SigtermFinishesInFlightThenExitsZero) {
  GatewayOptions o;
  o.limits = {"drain_timeout: 5s"};
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  Conn in_flight(port());
  ASSERT_TRUE(in_flight.ok());
  ASSERT_TRUE(in_flight.send(make_request("GET", "/pets/1.0.0/items/9?delay_ms=1500")));
  sleep_for(300ms);
  gw->process().signal(SIGTERM);
  EXPECT_TRUE(eventually(2000ms, [&] { return !port_open(port()); }))
      << "still accepting new connections after SIGTERM";
  auto r = in_flight.read_response(5000ms);
  ASSERT_TRUE(r) << "in-flight request dropped by SIGTERM: " << in_flight.error();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(echo_of(*r)["path"].str(), "/items/9");
  auto st = gw->process().wait_exit(8000ms);
  ASSERT_TRUE(st) << "gateway did not exit after draining";
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << describe_status(*st);
}

TEST_F(Drain, IdleKeepAliveConnectionsDoNotHoldTheDrain) {
  GatewayOptions o;
  o.limits = {"drain_timeout: 20s"};
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  Conn idle(port());
  ASSERT_TRUE(idle.ok());
  ASSERT_TRUE(idle.send(make_request("GET", "/pets/1.0.0/items/1")));
  ASSERT_TRUE(idle.read_response());
  auto start = Clock::now();
  gw->process().signal(SIGTERM);
  auto st = gw->process().wait_exit(5000ms);
  ASSERT_TRUE(st) << "an idle keep-alive connection kept the gateway alive after SIGTERM";
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << describe_status(*st);
  EXPECT_LT(std::chrono::duration_cast<Millis>(Clock::now() - start).count(), 5000);
  EXPECT_TRUE(idle.wait_closed(1000ms));
}

// An idle plain-TCP connection gives up its coroutine after 200 ms (parked, see
// ProxySession::kParkAfter); draining must still find and close it.
TEST_F(Drain, ParkedIdleConnectionsDoNotHoldTheDrain) {
  GatewayOptions o;
  o.limits = {"drain_timeout: 20s"};
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  Conn idle(port());
  ASSERT_TRUE(idle.ok());
  ASSERT_TRUE(idle.send(make_request("GET", "/pets/1.0.0/items/1")));
  ASSERT_TRUE(idle.read_response());
  sleep_for(800ms);  // past the park delay and one deadline sweep
  gw->process().signal(SIGTERM);
  auto st = gw->process().wait_exit(5000ms);
  ASSERT_TRUE(st) << "a parked keep-alive connection kept the gateway alive after SIGTERM";
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << describe_status(*st);
  EXPECT_TRUE(idle.wait_closed(1000ms));
}

// A client that connected just before the drain cannot know about it: its first request
// is served (with Connection: close), not answered by a closed connection. Only idle
// connections that were already served are closed at once (the tests above).
TEST_F(Drain, NewConnectionsFirstRequestIsServed) {
  GatewayOptions o;
  o.limits = {"drain_timeout: 5s"};
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  Conn fresh(port());
  ASSERT_TRUE(fresh.ok());
  sleep_for(200ms);  // accepted by a worker, nothing sent yet
  gw->process().signal(SIGTERM);
  sleep_for(300ms);  // the drain has begun: the listener is closed
  ASSERT_TRUE(fresh.send(make_request("GET", "/pets/1.0.0/items/3")));
  auto r = fresh.read_response(3000ms);
  ASSERT_TRUE(r) << "a new connection's first request was dropped by the drain: " << fresh.error();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(fresh.wait_closed(1000ms));
  auto st = gw->process().wait_exit(5000ms);
  ASSERT_TRUE(st) << "gateway did not exit after draining";
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << describe_status(*st);
}

TEST_F(Drain, DrainTimeoutBoundsShutdown) {
  GatewayOptions o;
  o.limits = {"drain_timeout: 1s", "upstream_response_timeout: 30s"};
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  Conn slow(port());
  ASSERT_TRUE(slow.ok());
  ASSERT_TRUE(slow.send(make_request("GET", "/pets/1.0.0/items/1?delay_ms=20000")));
  sleep_for(300ms);
  auto start = Clock::now();
  gw->process().signal(SIGTERM);
  auto st = gw->process().wait_exit(6000ms);
  ASSERT_TRUE(st) << "gateway ignored its 1 s drain_timeout";
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << describe_status(*st);
  EXPECT_LT(std::chrono::duration_cast<Millis>(Clock::now() - start).count(), 4000);
}

// ---------------------------------------------------------------------------------------

class Cli : public GatewayTest {
 protected:
  CommandResult postern(const std::string& args, bool merge_stderr = true) {
    return run_command(shell_quote(postern_binary()) + " " + args, 30, merge_stderr);
  }
};

TEST_F(Cli, ValidateValidProject) {
  start_echo();
  GatewayOptions o;
  o.apis["pets.yaml"] = pets_api(echo->url());
  Gateway g(tmp / "project", o);
  auto r = postern("validate " + shell_quote(g.dir().string()) + " 2>/dev/null", false);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::string out = r.output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(out.find('\n'), std::string::npos) << "summary is not one line:\n" << out;
  EXPECT_NE(out.find('6'), std::string::npos) << "summary does not count the 6 routes: " << out;
}

TEST_F(Cli, ValidateReportsEveryErrorWithLocation) {
  fs::path dir = tmp / "broken";
  int p1 = free_port(), p2 = free_port();
  write_file(dir / "postern.yaml",
             "listeners:\n"
             "  - {name: http, address: \"127.0.0.1:" +
                 std::to_string(p1) +
                 "\"}\n"
                 "admin: {address: \"127.0.0.1:" +
                 std::to_string(p2) +
                 "\"}\n"
                 "workers: many\n"  // line 4
                 "apis: apis/\n");
  write_file(dir / "apis" / "a.yaml",
             "openapi: 3.0.0\n"
             "info: {title: A, version: 1.0.0}\n"
             "x-wso2-basePath: /a\n"
             "x-wso2-production-endpoints: {urls: [\"not a url\"]}\n"  // line 4
             "paths:\n"
             "  /x: {get: {}}\n");
  write_file(dir / "apis" / "b.yaml",
             "openapi: 3.0.0\n"
             "info: {title: B, version: 1.0.0}\n"
             "x-wso2-basePath: /b\n"
             "x-wso2-production-endpoints: {urls: [\"ftp://127.0.0.1:21/\"]}\n"  // line 4
             "paths:\n"
             "  /y: {get: {}}\n");
  auto r = postern("validate " + shell_quote(dir.string()) + " 2>&1 >/dev/null", false);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  std::regex diag(R"(^(.+):(\d+):(\d+): (.+)$)");
  std::istringstream in(r.output);
  std::string line;
  bool config_err = false, a_err = false, b_err = false;
  int diagnostics = 0;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, diag)) continue;
    ++diagnostics;
    std::string file = m[1];
    int ln = std::stoi(m[2]);
    if (file.ends_with("postern.yaml") && ln == 4) config_err = true;
    if (file.ends_with("a.yaml") && ln == 4) a_err = true;
    if (file.ends_with("b.yaml") && ln == 4) b_err = true;
  }
  EXPECT_GE(diagnostics, 3) << r.output;
  EXPECT_TRUE(config_err) << "no postern.yaml:4:col error for `workers: many`:\n" << r.output;
  EXPECT_TRUE(a_err) << "no a.yaml:4:col error for the invalid URL:\n" << r.output;
  EXPECT_TRUE(b_err) << "no b.yaml:4:col error for the ftp URL:\n" << r.output;
}

// `validate` prints warnings (stderr) and exits 0; `--strict` exits 1 on them; an
// interceptor is an error.
TEST_F(Cli, ValidateWarnsAndStrictRefuses) {
  fs::path dir = tmp / "warns";
  write_file(dir / "postern.yaml",
             "listeners:\n"
             "  - {name: http, address: \"127.0.0.1:" +
                 std::to_string(free_port()) +
                 "\"}\n"
                 "apis: apis/\n");
  std::string doc =
      "openapi: 3.0.0\n"
      "info: {title: A, version: 1.0.0}\n"
      "x-wso2-basePath: /a\n"
      "x-wso2-production-endpoints: {urls: [\"http://127.0.0.1:8080\"]}\n"
      "paths:\n"
      "  /x: {get: {}}\n";
  write_file(dir / "apis" / "a.yaml", doc + "x-wso2-cors: {accessControlAllowOrigins: ['*']}\n");  // line 7
  auto plain = postern("validate " + shell_quote(dir.string()) + " 2>&1", false);
  EXPECT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_NE(plain.output.find("apis/a.yaml:7:1: warning: 'x-wso2-cors' is not enforced by Postern yet"),
            std::string::npos)
      << plain.output;
  EXPECT_NE(plain.output.find("ok: 1 API, 1 route"), std::string::npos) << plain.output;

  auto strict = postern("validate --strict " + shell_quote(dir.string()) + " 2>&1", false);
  EXPECT_NE(strict.exit_code, 0) << strict.output;
  EXPECT_NE(strict.output.find("apis/a.yaml:7:1: warning: 'x-wso2-cors'"), std::string::npos) << strict.output;
  EXPECT_NE(strict.output.find("1 warning; --strict refuses the project"), std::string::npos) << strict.output;
  EXPECT_EQ(strict.output.find("ok:"), std::string::npos) << strict.output;

  write_file(dir / "apis" / "a.yaml", doc + "x-wso2-request-interceptor: java:org.example.Audit\n");
  auto refused = postern("validate " + shell_quote(dir.string()) + " 2>&1", false);
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_NE(refused.output.find("apis/a.yaml:7:1: 'x-wso2-request-interceptor' names a WSO2 Microgateway 3.x "
                                "interceptor ('java:org.example.Audit'), a Ballerina function or Java class that "
                                "Postern cannot run"),
            std::string::npos)
      << refused.output;
}

TEST_F(Cli, RunRefusesInvalidProject) {
  fs::path dir = tmp / "broken";
  write_file(dir / "postern.yaml",
             "listeners:\n"
             "  - {name: http, address: \"127.0.0.1:" +
                 std::to_string(free_port()) +
                 "\"}\n"
                 "apis: apis/\n");
  write_file(dir / "apis" / "a.yaml",
             "openapi: 3.0.0\n"
             "info: {title: A, version: 1.0.0}\n"
             "x-wso2-basePath: /a\n"
             "x-wso2-production-endpoints: {urls: [\"not a url\"]}\n"
             "paths:\n"
             "  /x: {get: {}}\n");
  Process p({postern_binary(), "run", dir.string()}, tmp / "run.log");
  auto st = p.wait_exit(10000ms);
  ASSERT_TRUE(st) << "postern run kept running with an invalid project";
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) != 0) << describe_status(*st);
  EXPECT_NE(p.log().find("a.yaml:4:"), std::string::npos) << p.log();
}

TEST_F(Cli, InitCreatesValidProject) {
  fs::path dir = tmp / "fresh";
  auto r = postern("init " + shell_quote(dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "postern.yaml"));
  bool has_api = false;
  if (fs::exists(dir / "apis"))
    for (auto& e : fs::directory_iterator(dir / "apis")) has_api |= e.is_regular_file();
  EXPECT_TRUE(has_api) << "no API document under apis/";
  auto v = postern("validate " + shell_quote(dir.string()));
  EXPECT_EQ(v.exit_code, 0) << v.output;
}

TEST_F(Cli, InitFromOpenApiFile) {
  fs::path spec = tmp / "pets-spec.yaml";
  write_file(spec, pets_api("http://127.0.0.1:8080"));
  fs::path dir = tmp / "fromspec";
  auto r = postern("init " + shell_quote(dir.string()) + " --openapi " + shell_quote(spec.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  bool found = false;
  if (fs::exists(dir / "apis"))
    for (auto& e : fs::directory_iterator(dir / "apis"))
      found |= read_file(e.path()).find("/items/{id}") != std::string::npos;
  EXPECT_TRUE(found) << "the given OpenAPI document was not copied into apis/";
  auto v = postern("validate " + shell_quote(dir.string()));
  EXPECT_EQ(v.exit_code, 0) << v.output;
}

// ---------------------------------------------------------------------------------------

using AccessLog = GatewayTest;

TEST_F(AccessLog, OneJsonLinePerRequest) {
  GatewayOptions o;
  o.access_log = "{enabled: true, path: access.log}";
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/5", {{"X-Request-ID", "log-me-1"}});
  ASSERT_TRUE(r);
  auto r2 = http_request(port(), "GET", "/missing", {{"X-Request-ID", "log-me-2"}});
  ASSERT_TRUE(r2);
  fs::path log = gw->dir() / "access.log";
  ASSERT_TRUE(eventually(5000ms,
                         [&] {
                           std::string s = read_file(log);
                           return s.find("log-me-1") != std::string::npos && s.find("log-me-2") != std::string::npos;
                         }))
      << "access.log: " << read_file(log);
  std::istringstream in(read_file(log));
  std::string line;
  int ours = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    EXPECT_TRUE(Json::parse(line)) << "not a JSON line: " << line;
    if (line.find("log-me-") != std::string::npos) ++ours;
  }
  EXPECT_EQ(ours, 2) << "expected exactly one line per request";
}

}  // namespace
}  // namespace postern::itest
