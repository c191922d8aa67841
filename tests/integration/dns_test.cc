// Backend host names that change while the gateway runs (issue 12): a name that does not
// resolve at start, a record set that moves, a name server that goes away. The gateway is
// pointed at a tiny DNS server the test runs (dns_server.h) through `dns.servers`, so no
// machine-wide file is touched.
#include "dns_server.h"
#include "fixture.h"

namespace postern::itest {
namespace {

constexpr const char* kName = "orders.postern.test";

class Dns : public GatewayTest {
 protected:
  // A gateway whose pets API forwards to http://orders.postern.test:<echo port>.
  void start_with_name(const std::string& refresh = "200ms") {
    start_echo();
    GatewayOptions o;
    o.dns = "  servers: [\"" + dns.address() + "\"]\n  refresh: " + refresh + "\n  timeout: 500ms\n";
    o.apis["pets.yaml"] = pets_api("http://" + std::string(kName) + ":" + std::to_string(echo->port()));
    ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  }

  std::optional<Response> get() { return http_request(port(), "GET", "/pets/1.0.0/items/1"); }

  // The local address the echo answering the request was reached on ("" when it was not the echo).
  std::string served_by() {
    auto r = get();
    if (!r || r->status != 200) return "";
    auto j = r->json();
    return j ? (*j)["local_address"].str() : "";
  }

  // The value of one sample of the gateway's /metrics, or -1.
  double metric(const std::string& sample) {
    auto r = http_request(gw->admin_port(), "GET", "/metrics");
    if (!r || r->status != 200) return -1;
    size_t at = r->body.find(sample + " ");
    if (at == std::string::npos) return -1;
    return std::stod(r->body.substr(at + sample.size() + 1));
  }

  std::string resolve_sample(const std::string& result) {
    return "postern_dns_resolve_total{host=\"" + std::string(kName) + ":" + std::to_string(echo->port()) +
           "\",result=\"" + result + "\"}";
  }

  DnsServer dns;
};

TEST_F(Dns, UnresolvableNameWarnsAnswers503ThenServesOnceItResolves) {
  ASSERT_NO_FATAL_FAILURE(start_with_name());
  // The gateway started; the name is a warning at the URL's place, not a load error.
  EXPECT_NE(gw->log().find("apis/pets.yaml:"), std::string::npos) << gw->log();
  EXPECT_NE(gw->log().find("warning: endpoint URL 'http://" + std::string(kName)), std::string::npos) << gw->log();
  auto v = run_command(shell_quote(postern_binary()) + " validate " + shell_quote(gw->dir().string()) + " 2>&1");
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_NE(v.output.find("pets.yaml:"), std::string::npos) << v.output;
  EXPECT_NE(v.output.find("host '" + std::string(kName) + "' does not resolve"), std::string::npos) << v.output;
  EXPECT_NE(v.output.find("1 warning"), std::string::npos) << v.output;

  auto r = get();
  ASSERT_TRUE(r) << "no response";
  expect_json_error(*r, 503);
  EXPECT_EQ(metric("postern_upstream_errors_total{kind=\"unresolved\"}"), 1);
  // It keeps being looked up while it does not resolve.
  ASSERT_TRUE(eventually(20000ms, [&] { return metric(resolve_sample("error")) >= 1; })) << "no lookup after start";

  dns.set(kName, {"127.0.0.1"});
  EXPECT_TRUE(eventually(20000ms, [&] { return served_by() == "127.0.0.1"; })) << "the route never served";
  EXPECT_GE(metric(resolve_sample("ok")), 1);
}

TEST_F(Dns, ChangedRecordSetMovesTraffic) {
  start_echo();
  // A second echo on the same port over IPv6 loopback: the record set decides which one serves.
  Process echo_b({postern_binary(), "echo", "--listen", "::1:" + std::to_string(echo->port())},
                 tmp / "echo-b.log");
  dns.set(kName, {"127.0.0.1"});
  ASSERT_NO_FATAL_FAILURE(start_with_name());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(served_by(), "127.0.0.1");

  dns.set(kName, {"::1"});
  ASSERT_TRUE(eventually(20000ms, [&] { return served_by() == "::1"; })) << "traffic never moved";
  // Once moved, it stays: the old address is no longer in the set.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(served_by(), "::1");
  EXPECT_TRUE(echo_b.alive());
  echo_b.stop();
  EXPECT_EQ(sanitizer_report(echo_b.log()), "");
}

TEST_F(Dns, NameServerDownKeepsTheLastGoodAddresses) {
  dns.set(kName, {"127.0.0.1"});
  ASSERT_NO_FATAL_FAILURE(start_with_name());
  EXPECT_EQ(served_by(), "127.0.0.1");
  ASSERT_TRUE(eventually(20000ms, [&] { return metric(resolve_sample("ok")) >= 2; })) << "no periodic lookup";

  dns.stop();
  // Lookups fail from now on (counted), and the route keeps its last good addresses.
  ASSERT_TRUE(eventually(20000ms, [&] { return metric(resolve_sample("error")) >= 2; })) << "no failed lookup";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(served_by(), "127.0.0.1");
  EXPECT_EQ(metric("postern_dns_addresses{host=\"" + std::string(kName) + ":" + std::to_string(echo->port()) + "\"}"),
            1);
}

TEST_F(Dns, AConnectFailureLooksTheNameUpAgainAtOnce) {
  // 127.0.0.2 has no listener on the echo's port; the TTL and `refresh` (1 h) are far away,
  // so only the failed connect can make the gateway ask again.
  dns.set(kName, {"127.0.0.2"}, 3600);
  ASSERT_NO_FATAL_FAILURE(start_with_name("1h"));
  const double lookups = metric(resolve_sample("ok"));
  ASSERT_GE(lookups, 0);
  dns.set(kName, {"127.0.0.1"}, 3600);
  auto r = get();
  ASSERT_TRUE(r) << "no response";
  EXPECT_EQ(r->status, 502) << r->raw_head << r->body;
  EXPECT_TRUE(eventually(10000ms, [&] { return metric(resolve_sample("ok")) > lookups; }))
      << "no lookup after the failure";
  EXPECT_TRUE(eventually(10000ms, [&] { return served_by() == "127.0.0.1"; })) << "the new address is never used";
}

}  // namespace
}  // namespace postern::itest
