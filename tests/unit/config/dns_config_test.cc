// postern.yaml `dns:` and how endpoint host names load: a numeric host is fixed, a name is
// resolved at load (here from the hosts file, no socket) and marked for re-resolving.
#include <gmock/gmock.h>

#include "project_fixture.h"

namespace postern::config::testing {
namespace {

using ::testing::ElementsAre;

constexpr const char* kApi = R"(openapi: 3.0.3
info: {title: A, version: 1}
x-wso2-disable-security: true
x-wso2-production-endpoints: {urls: ["http://localhost:8080", "http://127.0.0.1:8081"]}
paths:
  /x: {get: {}}
)";

TEST_F(ProjectTest, DnsSectionIsRead) {
  write("postern.yaml", std::string(kMinimalGateway) +
                            "dns: {servers: [\"10.0.0.2\", \"127.0.0.1:5353\", \"[::1]:53\"], refresh: 5s, "
                            "timeout: 300ms}\n");
  write("apis/a.yaml", kApi);
  auto r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  const DnsConfig& dns = r.snapshot->gateway.dns;
  EXPECT_THAT(dns.servers, ElementsAre("10.0.0.2", "127.0.0.1:5353", "[::1]:53"));
  EXPECT_EQ(dns.refresh, Millis(5000));
  EXPECT_EQ(dns.timeout, Millis(300));
}

TEST_F(ProjectTest, DnsDefaultsToResolvConfEvery30s) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", kApi);
  auto r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  EXPECT_TRUE(r.snapshot->gateway.dns.servers.empty());
  EXPECT_EQ(r.snapshot->gateway.dns.refresh, Millis(30'000));
}

TEST_F(ProjectTest, DnsServerMustBeAnAddress) {
  write("postern.yaml", std::string(kMinimalGateway) + "dns: {servers: [ns1.example.com], refresh: 0}\n");
  write("apis/a.yaml", kApi);
  EXPECT_THAT(errors(load()),
              ElementsAre("proj/postern.yaml:3:17: 'ns1.example.com' is not a name server address; write an IP "
                          "address with an optional port (\"10.0.0.2\", \"127.0.0.1:5353\", \"[fd00::53]:53\")",
                          "proj/postern.yaml:3:44: 'dns.refresh' must be at least 100ms (e.g. \"30s\")"));
}

TEST_F(ProjectTest, HostNamesAreResolvedAtLoadAndKeptDynamic) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", kApi);
  auto r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  EXPECT_TRUE(r.warnings.empty());
  const auto& eps = r.snapshot->routes.at(0).production->endpoints;
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_TRUE(eps[0].dynamic);
  EXPECT_FALSE(eps[0].addresses.empty()) << "localhost (hosts file) resolved at load";
  EXPECT_FALSE(eps[1].dynamic);
  ASSERT_EQ(eps[1].addresses.size(), 1u);
  EXPECT_EQ(eps[1].addresses[0].text, "127.0.0.1:8081");
}

}  // namespace
}  // namespace postern::config::testing
