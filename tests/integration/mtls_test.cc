// Mutual TLS end to end with curl client certificates: the listener verifies them against
// the test CA; x-wso2-mutual-ssl decides per API whether a certificate is needed or enough.
#include "fixture.h"

namespace postern::itest {
namespace {

class Mtls : public GatewayTest {
 protected:
  void start(const std::string& client_auth, bool via_header = false, bool trust_proxy = true) {
    start_echo();
    GatewayOptions o;
    o.tls_listener = true;
    o.tls_client_auth = client_auth;
    if (via_header) {
      if (trust_proxy) o.forwarding = {"trusted_proxies: [127.0.0.1]"};
      o.security = "  client_certificate_header: {name: X-WSO2-CLIENT-CERTIFICATE, ca_file: pki/ca.pem}\n";
    }
    o.apis["certs.yaml"] =
        "openapi: 3.0.0\ninfo: {title: Certs, version: '1'}\nx-wso2-basePath: /certs\n"
        "x-wso2-production-endpoints: {urls: [\"" +
        echo->url() +
        "\"]}\n"
        "x-wso2-mutual-ssl: mandatory\n"
        "x-wso2-application-security: {security-types: [oauth2], optional: true}\n"
        "paths:\n  /x: {get: {}}\n";
    ASSERT_NO_FATAL_FAILURE(start_gateway(o));
    const Pki& pki = gw->pki();
    client_key_ = tmp / "client.key";
    client_cert_ = tmp / "client.pem";
    auto csr = tmp / "client.csr";
    auto r = run_command(
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=partner-a -keyout " +
        shell_quote(client_key_.string()) + " -out " + shell_quote(csr.string()) + " && openssl x509 -req -in " +
        shell_quote(csr.string()) + " -CA " + shell_quote(pki.ca_cert.string()) + " -CAkey " +
        shell_quote(pki.ca_key.string()) + " -CAcreateserial -days 1 -out " + shell_quote(client_cert_.string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // A certificate from another CA: must never be accepted.
    Pki other = make_pki(tmp / "other", "other-");
    rogue_key_ = other.server_key;
    rogue_cert_ = other.server_cert;
  }

  CommandResult curl(const std::string& extra) {
    return run_command("curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert " +
                           shell_quote(gw->pki().ca_cert.string()) + " " + extra +
                           " https://127.0.0.1:" + std::to_string(gw->https_port()) + "/certs/x",
                       30, false);
  }
  std::string with_cert(const fs::path& cert, const fs::path& key) {
    return "--cert " + shell_quote(cert.string()) + " --key " + shell_quote(key.string());
  }

  fs::path client_key_, client_cert_, rogue_key_, rogue_cert_;
};

TEST_F(Mtls, CertificateIsEnoughWhenApplicationSecurityIsOptional) {
  ASSERT_NO_FATAL_FAILURE(start("optional"));
  auto r = curl(with_cert(client_cert_, client_key_));
  EXPECT_EQ(r.output, "200") << r.output;
  r = curl("");  // no certificate: mandatory for this API
  EXPECT_EQ(r.output, "401") << r.output;
  r = curl(with_cert(rogue_cert_, rogue_key_));  // a certificate from another CA fails the handshake
  EXPECT_NE(r.output, "200") << r.output;
  EXPECT_NE(r.exit_code, 0);
}

TEST_F(Mtls, RequiredClientAuthRejectsHandshakeWithoutCertificate) {
  ASSERT_NO_FATAL_FAILURE(start("required"));
  auto r = curl("");
  EXPECT_NE(r.exit_code, 0) << "the TLS handshake must fail without a client certificate";
  r = curl(with_cert(client_cert_, client_key_));
  EXPECT_EQ(r.output, "200") << r.output;
}

// Behind a TLS-terminating load balancer: the certificate arrives URL-encoded in a header,
// honoured only from a trusted proxy and only when it verifies against the CA.
class MtlsHeader : public Mtls {
 protected:
  std::optional<Response> get_with(const fs::path& cert) {
    std::string pem = read_file(cert), enc;
    for (unsigned char c : pem) {
      if (std::isalnum(c)) enc.push_back(char(c));
      else {
        char b[4];
        std::snprintf(b, sizeof b, "%%%02X", c);
        enc += b;
      }
    }
    return http_request(port(), "GET", "/certs/x", {{"X-WSO2-CLIENT-CERTIFICATE", enc}});
  }
};

TEST_F(MtlsHeader, CertificateFromTrustedProxyHeader) {
  ASSERT_NO_FATAL_FAILURE(start("none", true, true));
  auto r = get_with(client_cert_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  r = get_with(rogue_cert_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << "a certificate from another CA was accepted";
  r = http_request(port(), "GET", "/certs/x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

TEST_F(MtlsHeader, HeaderIgnoredFromUntrustedPeers) {
  ASSERT_NO_FATAL_FAILURE(start("none", true, false));
  auto r = get_with(client_cert_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << "a client could forge the load balancer's header";
}

}  // namespace
}  // namespace postern::itest
