// TLS termination on a listener (driven with curl against a CA the test generates) and TLS
// to https:// endpoints (a second postern with a TLS listener acts as the TLS backend).
#include "fixture.h"

namespace postern::itest {
namespace {

class Tls : public GatewayTest {
 protected:
  std::string https_base() const { return "https://127.0.0.1:" + std::to_string(gw->https_port()); }
  std::string curl() const {
    return "curl -sS --max-time 20 --cacert " + shell_quote(gw->pki().ca_cert.string()) + " ";
  }
};

TEST_F(Tls, CurlThroughTlsListener) {
  GatewayOptions o;
  o.tls_listener = true;
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  auto r = run_command(curl() + "-H 'X-Forwarded-Proto: http' " + https_base() + "/pets/1.0.0/items/5?x=1", 30, false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = Json::parse(r.output);
  ASSERT_TRUE(j) << r.output;
  EXPECT_EQ((*j)["path"].str(), "/items/5");
  EXPECT_EQ((*j)["query"].str(), "x=1");
  EXPECT_EQ(echo_header(*j, "x-forwarded-proto"), std::vector<std::string>{"https"});
  // The plain listener keeps working alongside.
  auto plain = http_request(port(), "GET", "/pets/1.0.0/items/5");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200);
}

// x-wso2-transports: an API limited to https is served on the TLS listener only and is
// exactly an unknown API (the same 404 JSON) on the plain one; [http] is the reverse;
// [http, https] and no transports serve both.
TEST_F(Tls, TransportsChooseTheListeners) {
  start_echo();
  GatewayOptions o;
  o.tls_listener = true;
  auto api = [&](const std::string& title, const std::string& transports) {
    return "openapi: 3.0.0\n"
           "info: {title: " +
           title +
           ", version: '1'}\n"
           "x-wso2-basePath: /" +
           title +
           "\n"
           "x-wso2-disable-security: true\n" +
           transports + "x-wso2-production-endpoints: {urls: [\"" + echo->url() +
           "\"]}\n"
           "paths:\n"
           "  /a: {get: {}, post: {}}\n";
  };
  o.apis["secure.yaml"] = api("secure", "x-wso2-transports: [https]\n");
  o.apis["plain.yaml"] = api("plain", "x-postern-transports: [http]\n");
  o.apis["both.yaml"] = api("both", "x-wso2-transports: [http, https]\n");
  o.apis["default.yaml"] = api("default", "");
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));

  // Plain listener.
  auto unknown = http_request(port(), "GET", "/nothing/a");
  ASSERT_TRUE(unknown);
  expect_json_error(*unknown, 404);
  for (const char* method : {"GET", "POST"}) {
    SCOPED_TRACE(method);
    auto r = http_request(port(), method, "/secure/a");
    ASSERT_TRUE(r);
    expect_json_error(*r, 404);
    EXPECT_EQ(r->body, unknown->body) << "an https-only API on a plain listener must look like an unknown API";
    EXPECT_EQ(r->header("content-type"), unknown->header("content-type"));
  }
  for (const char* path : {"/plain/a", "/both/a", "/default/a"}) {
    auto r = http_request(port(), "GET", path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
  }

  // TLS listener: body, then the status on the last line.
  auto tls_get = [&](const std::string& path) {
    auto r = run_command(curl() + "-w '\n%{http_code}' " + https_base() + path, 30, false);
    EXPECT_EQ(r.exit_code, 0) << path << ": " << r.output;
    size_t nl = r.output.rfind('\n');
    if (nl == std::string::npos) return std::make_pair(std::string(), r.output);
    return std::make_pair(r.output.substr(0, nl), r.output.substr(nl + 1));
  };
  auto tls_unknown = tls_get("/nothing/a");
  EXPECT_EQ(tls_unknown.second, "404");
  auto plain_only = tls_get("/plain/a");
  EXPECT_EQ(plain_only.second, "404");
  EXPECT_EQ(plain_only.first, tls_unknown.first) << "an http-only API on a TLS listener must look like an unknown API";
  for (const char* path : {"/secure/a", "/both/a", "/default/a"}) {
    auto r = tls_get(path);
    EXPECT_EQ(r.second, "200") << path << ": " << r.first;
    auto j = Json::parse(r.first);
    ASSERT_TRUE(j) << r.first;
    EXPECT_EQ((*j)["path"].str(), "/a");
  }
}

TEST_F(Tls, LocalhostNameVerifies) {
  GatewayOptions o;
  o.tls_listener = true;
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  auto r = run_command(curl() +
                           "-o /dev/null -w '%{http_code}' --resolve localhost:" + std::to_string(gw->https_port()) +
                           ":127.0.0.1 https://localhost:" + std::to_string(gw->https_port()) + "/pets/1.0.0/items/1",
                       30, false);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "200");
}

TEST_F(Tls, Tls12And13AndAlpnHttp11) {
  GatewayOptions o;
  o.tls_listener = true;
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  std::string url = https_base() + "/pets/1.0.0/items/1";
  auto v12 = run_command(curl() + "--tlsv1.2 --tls-max 1.2 -o /dev/null -w '%{http_code}' " + url, 30, false);
  EXPECT_EQ(v12.exit_code, 0) << "TLS 1.2 handshake failed";
  EXPECT_EQ(v12.output, "200");
  auto v13 = run_command(curl() + "--tlsv1.3 -o /dev/null -w '%{http_code}' " + url, 30, false);
  EXPECT_EQ(v13.exit_code, 0) << "TLS 1.3 handshake failed";
  EXPECT_EQ(v13.output, "200");
  // A client offering h2 and http/1.1 must end up on HTTP/1.1.
  auto alpn = run_command(curl() + "--http2 -o /dev/null -w '%{http_version} %{http_code}' " + url, 30, false);
  EXPECT_EQ(alpn.exit_code, 0);
  EXPECT_EQ(alpn.output, "1.1 200");
  auto s_client = run_command("openssl s_client -connect 127.0.0.1:" + std::to_string(gw->https_port()) +
                                  " -alpn h2,http/1.1 -CAfile " + shell_quote(gw->pki().ca_cert.string()) +
                                  " -verify_return_error </dev/null",
                              20);
  EXPECT_NE(s_client.output.find("ALPN protocol: http/1.1"), std::string::npos) << s_client.output;
  EXPECT_NE(s_client.output.find("Verify return code: 0 (ok)"), std::string::npos) << s_client.output;
}

TEST_F(Tls, UntrustedClientRejectsCertificateOfOtherCa) {
  GatewayOptions o;
  o.tls_listener = true;
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  Pki other = make_pki(tmp / "other", "other-");
  auto r = run_command("curl -sS --max-time 20 --cacert " + shell_quote(other.ca_cert.string()) + " " + https_base() +
                           "/pets/1.0.0/items/1",
                       30);
  EXPECT_EQ(r.exit_code, 60) << "curl accepted a certificate it should not: " << r.output;
}

TEST_F(Tls, LargeBodiesOverTls) {
  GatewayOptions o;
  o.tls_listener = true;
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  std::string body = pattern_body(3 * 1024 * 1024 + 17);
  write_file(tmp / "up.bin", body);
  auto up = run_command(curl() + "--data-binary @" + shell_quote((tmp / "up.bin").string()) + " " + https_base() +
                            "/pets/1.0.0/items",
                        60, false);
  ASSERT_EQ(up.exit_code, 0) << up.output.substr(0, 300);
  auto j = Json::parse(up.output);
  ASSERT_TRUE(j) << up.output.substr(0, 300);
  EXPECT_EQ((*j)["body_sha256"].str(), sha256_hex(body));
  fs::path out = tmp / "down.bin";
  auto down = run_command(curl() + "-o " + shell_quote(out.string()) + " " + https_base() +
                              "/pets/1.0.0/items/1?bytes=5242880&chunked=1",
                          60);
  ASSERT_EQ(down.exit_code, 0) << down.output;
  EXPECT_TRUE(read_file(out) == pattern_body(5242880)) << "5 MiB TLS download differs";
}

TEST_F(Tls, HttpsEndpointVerifiedWithConfiguredCa) {
  start_echo();
  // Backend gateway B: TLS listener in front of the echo backend.
  GatewayOptions ob;
  ob.tls_listener = true;
  ob.apis["pets.yaml"] = pets_api(echo->url());
  Gateway b(tmp / "backend", ob);
  std::string why;
  ASSERT_TRUE(b.start(&why)) << why;
  // Front gateway A: its endpoint is B over https, verified with B's CA.
  write_file(tmp / "project" / "upstream-ca.pem", read_file(b.pki().ca_cert));
  GatewayOptions oa;
  oa.upstream_tls = "{ca_file: upstream-ca.pem, verify: true}";
  oa.apis["pets.yaml"] = pets_api("https://127.0.0.1:" + std::to_string(b.https_port()) + "/pets/1.0.0");
  ASSERT_NO_FATAL_FAILURE(start_gateway(oa));
  auto r = http_request(port(), "POST", "/pets/1.0.0/items", {}, "over tls");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body << "\n--- backend gateway log ---\n" << b.log();
  Json e = echo_of(*r);
  EXPECT_EQ(e["path"].str(), "/items");
  EXPECT_EQ(e["body"].str(), "over tls");
  // B saw a TLS connection from A.
  EXPECT_EQ(echo_header(e, "x-forwarded-proto"), std::vector<std::string>{"https"});
  // Keep-alive to a TLS upstream: a second request works too.
  auto r2 = http_request(port(), "GET", "/pets/1.0.0/items/9?bytes=200000&chunked=1");
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 200);
  EXPECT_TRUE(r2->body == pattern_body(200000));
  expect_clean_stop(b);
}

TEST_F(Tls, HttpsEndpointWithUntrustedCertificateIs502) {
  start_echo();
  GatewayOptions ob;
  ob.tls_listener = true;
  ob.apis["pets.yaml"] = pets_api(echo->url());
  Gateway b(tmp / "backend", ob);
  std::string why;
  ASSERT_TRUE(b.start(&why)) << why;
  Pki other = make_pki(tmp / "other", "other-");
  write_file(tmp / "project" / "upstream-ca.pem", read_file(other.ca_cert));
  GatewayOptions oa;
  oa.upstream_tls = "{ca_file: upstream-ca.pem, verify: true}";
  oa.apis["pets.yaml"] = pets_api("https://127.0.0.1:" + std::to_string(b.https_port()) + "/pets/1.0.0");
  ASSERT_NO_FATAL_FAILURE(start_gateway(oa));
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/1");
  ASSERT_TRUE(r);
  expect_json_error(*r, 502);
  expect_clean_stop(b);
}

}  // namespace
}  // namespace postern::itest
