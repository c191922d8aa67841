// `postern import-wso2` on a WSO2 API Microgateway 3.x project written for this test, with
// every part such a project has: api_definitions (OpenAPI 3 and Swagger 2.0), policies.yaml,
// grpc_definitions, interceptors, conf/deployment-config.toml, and a micro-gw.conf with each
// section. What maps lands in a project that loads; the rest is listed with a reason.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "cli/import_wso2_command.h"
#include "cli/wso2_conf.h"
#include "config/loader.h"
#include "project_fixture.h"

namespace postern::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProjectTest;

constexpr const char* kMicroGwConf = R"([listenerConfig]
host = "127.0.0.1"
httpPort = 9190
httpsPort = 9195
keyStorePath = "${mgw-runtime.home}/runtime/bre/security/ballerinaKeystore.p12"
maxUriLength = 2048
maxHeaderSize = 16384
maxEntityBodySize = -1
tokenListenerPort = 9196

[authConfig]
authorizationHeader = "X-Token"
removeAuthHeaderFromOutMessage = false

[jwtConfig]
header = "X-JWT-Assertion"

[keyManager]
serverUrl = "https://127.0.0.1:9443/"
tokenContext = "oauth2"
enableLegacyMode = true
  [keymanager.security.basic]
  enabled = true
  username = "gateway"
  password = "s3cret \"quoted\""

[[jwtTokenConfig]]
issuer = "https://idp.example/oauth2/token"
audience = "http://org.wso2.apimgt/gateway"
certificateAlias = "wso2apim310"
jwksURL = "https://idp.example/oauth2/jwks"
validateSubscription = true
consumerKeyClaim = "azp"

[[jwtTokenConfig]]
issuer = "https://legacy.example"
certificateAlias = "legacy"

[caching]
tokenCacheExpiryTime = 900000
tokenCacheCapacity = 5000
tokenCacheEvictionFactor = 0.25

[analytics]
  [analytics.fileUpload]
  enable = true
  rotatingPeriod = 600000
  uploadingEndpoint = "https://127.0.0.1:9444/analytics/v1.0/usage/upload-file"
  [analytics.gRPCAnalytics]
  enable = false
  endpointURL = "https://localhost:9806"

[b7a.users]
  [b7a.users.alice]
  password = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"
  scopes = "read write"
  [b7a.users.bob]
  password = "plain"

[throttlingConfig]
enabledGlobalTMEventPublishing = true

[validationConfig]
enableRequestValidation = true
enableResponseValidation = false

[mutualSSLConfig]
protocolVersions = "TLSv1.2,TLSv1.1"
certificateHeaderName = "X-WSO2-CLIENT-CERTIFICATE"

[http2]
enable = true

[httpClients]
disableSslVerification = true
  [httpClients.poolConfig]
  maxIdleConnections = 50

[server]
timestampSkew = 5000

[security]
validateSubscriptions = true
)";

class ImportWso2 : public ProjectTest {
 protected:
  void write_wso2_project() {
    write("../mgw/api_definitions/orders.yaml",
          "openapi: 3.0.0\ninfo: {title: Orders, version: \"1.0.0\"}\nx-wso2-basePath: /orders/{version}\n"
          "servers: [{url: \"http://127.0.0.1:8081/api\"}]\nx-wso2-throttling-tier: Tight\n"
          "paths:\n  /orders: {get: {}}\n");
    write("../mgw/api_definitions/legacy.json",
          "{\"swagger\": \"2.0\", \"info\": {\"title\": \"Legacy\", \"version\": \"2\"}, \"host\": "
          "\"127.0.0.1:8082\",\n \"x-wso2-basePath\": \"/legacy\", \"paths\": {\"/x\": {\"get\": {}}}}\n");
    write("../mgw/api_definitions/README.md", "notes\n");
    write("../mgw/policies.yaml", "resourcePolicies:\n  - Tight: {count: 5, unitTime: 1, timeUnit: min}\n");
    write("../mgw/grpc_definitions/route.proto", "syntax = \"proto3\";\n");
    write("../mgw/interceptors/validate.bal", "function validateRequest() {}\n");
    write("../mgw/conf/deployment-config.toml", "[docker]\n  [docker.dockerConfig]\n  enable = true\n");
    write("../mgw/conf/micro-gw.conf", kMicroGwConf);
  }
  static std::string mgw() { return "mgw"; }
};

TEST_F(ImportWso2, EverySectionIsCarriedOverOrExplained) {
  write_wso2_project();
  ::testing::internal::CaptureStdout();
  int rc = cli::run_import_wso2("mgw", "migrated", std::nullopt);
  std::string out = ::testing::internal::GetCapturedStdout();
  ASSERT_EQ(rc, 0) << out;

  // What maps.
  auto r = load_project("migrated");
  ASSERT_TRUE(r.snapshot) << out;
  const Snapshot& s = *r.snapshot;
  EXPECT_EQ(s.gateway.listeners.at(0).address.text, "127.0.0.1:9190");
  EXPECT_EQ(s.gateway.limits.max_uri_bytes, 2048u);
  EXPECT_EQ(s.gateway.limits.max_header_bytes, 16384u);
  EXPECT_EQ(s.gateway.limits.max_body_bytes, 0u);
  EXPECT_EQ(s.gateway.limits.max_idle_upstream_per_endpoint, 50u);
  EXPECT_FALSE(s.gateway.upstream_tls.verify);
  const SecurityConfig& sec = s.gateway.security;
  EXPECT_EQ(sec.auth_header, "X-Token");
  EXPECT_FALSE(sec.remove_credential_header);
  EXPECT_EQ(sec.token_cache_entries, 5000u);
  ASSERT_EQ(sec.issuers.size(), 1u);
  EXPECT_EQ(sec.issuers[0].issuer, "https://idp.example/oauth2/token");
  EXPECT_EQ(sec.issuers[0].jwks_url, "https://idp.example/oauth2/jwks");
  EXPECT_EQ(sec.issuers[0].audiences, std::vector<std::string>{"http://org.wso2.apimgt/gateway"});
  EXPECT_TRUE(sec.issuers[0].validate_subscription);
  EXPECT_EQ(sec.issuers[0].consumer_key_claim, "azp");
  EXPECT_EQ(sec.issuers[0].leeway, Millis(5000));
  EXPECT_TRUE(sec.key_manager.enabled);
  EXPECT_EQ(sec.key_manager.introspection_url, "https://127.0.0.1:9443/oauth2/introspect");
  EXPECT_EQ(sec.key_manager.client_id, "gateway");
  EXPECT_EQ(sec.key_manager.client_secret, "s3cret \"quoted\"");
  struct stat st{};
  ASSERT_EQ(::stat("migrated/secrets/key-manager-client-secret", &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(sec.users.size(), 1u);
  EXPECT_EQ(sec.users[0].username, "alice");
  EXPECT_EQ(sec.users[0].scopes, (std::vector<std::string>{"read", "write"}));
  EXPECT_TRUE(s.gateway.analytics.enabled);
  EXPECT_EQ(s.gateway.analytics.rotate_age, Millis(600000));
  // Both documents, unchanged, and the policies.yaml tier they use.
  ASSERT_EQ(s.apis.size(), 2u);
  EXPECT_EQ(s.gateway.throttling.resource.at("Tight").requests, 5u);
  EXPECT_THAT(out, HasSubstr("created migrated: postern.yaml (from mgw/conf/micro-gw.conf), apis/ (2 documents), "
                             "policies.yaml\n"));
  EXPECT_THAT(out, HasSubstr("ok: 2 APIs, 2 routes (project migrated)"));

  // What does not, each with its place and reason.
  for (const char* expected : {
           "micro-gw.conf:4:13 [listenerConfig] httpsPort: the HTTPS listener needs a PEM certificate and key",
           "micro-gw.conf:5:16 [listenerConfig] keyStorePath: keystores are not read",
           "micro-gw.conf:9:21 [listenerConfig] tokenListenerPort: the gateway has no token endpoint",
           "micro-gw.conf:16:10 [jwtConfig] header: WSO2 forwards the key manager's JWT",
           "micro-gw.conf:21:20 [keyManager] enableLegacyMode: the SOAP key validation service (legacy mode) is not "
           "supported",
           "micro-gw.conf:30:20 [jwtTokenConfig[0]] certificateAlias: the truststore alias is not carried over",
           "micro-gw.conf:37:20 [jwtTokenConfig[1]] certificateAlias: issuer 'https://legacy.example' is verified "
           "with a truststore certificate, which is not carried over",
           "micro-gw.conf:40:24 [caching] tokenCacheExpiryTime: a verified token is cached until its exp",
           "micro-gw.conf:48:23 [analytics.fileUpload] uploadingEndpoint: events are written locally and uploaded "
           "to `postern analytics collect`",
           "micro-gw.conf:58:14 [b7a.users.bob] password: user 'bob' has a password that is not a WSO2 hash",
           "micro-gw.conf:61:34 [throttlingConfig] enabledGlobalTMEventPublishing: the Traffic Manager",
           "micro-gw.conf:64:27 [validationConfig] enableRequestValidation: request and response schema validation "
           "is not implemented",
           "micro-gw.conf:69:25 [mutualSSLConfig] certificateHeaderName: a client certificate in a header needs the "
           "CA",
           "micro-gw.conf:72:10 [http2] enable: HTTP/2 is not supported",
           "api_definitions/README.md: not an OpenAPI or Swagger document",
           "grpc_definitions/route.proto: gRPC APIs are not supported",
           "interceptors/validate.bal: interceptors are Ballerina or Java code",
           "conf/deployment-config.toml: Docker and Kubernetes artifacts are not generated",
       }) {
    EXPECT_THAT(out, HasSubstr(expected));
  }
  // A feature switched off needs nothing; WSO2's defaults that Postern shares are not listed.
  EXPECT_THAT(out, Not(HasSubstr("gRPCAnalytics")));
  EXPECT_THAT(out, Not(HasSubstr("enableResponseValidation")));
  EXPECT_THAT(out, Not(HasSubstr("[authConfig]")));
}

TEST_F(ImportWso2, RefusesANonProjectAndANonEmptyTarget) {
  write("../mgw/api_definitions/a.yaml", "openapi: 3.0.0\n");
  write("../taken/file", "x");
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(cli::run_import_wso2("proj", "out1", std::nullopt), 1);
  EXPECT_EQ(cli::run_import_wso2("mgw", "taken", std::nullopt), 1);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, HasSubstr("proj is not a WSO2 API Microgateway 3.x project (no api_definitions/ folder)"));
  EXPECT_THAT(err, HasSubstr("taken already exists and is not empty"));
}

TEST(MicroGwConf, SyntaxErrorsHaveAPosition) {
  auto c = cli::convert_micro_gw_conf("[listenerConfig]\nhttpPort = = 1\n", "micro-gw.conf");
  EXPECT_FALSE(c.ok);
  EXPECT_THAT(c.error, ::testing::StartsWith("micro-gw.conf:2:"));
  EXPECT_THAT(c.error, HasSubstr("not valid TOML"));
  std::string deep = "a = " + std::string(100, '[') + std::string(100, ']') + "\n";
  c = cli::convert_micro_gw_conf(deep, "micro-gw.conf");
  EXPECT_FALSE(c.ok);
  EXPECT_THAT(c.error, HasSubstr("nested more than 32 deep"));
}

// toml11 reads past its buffer on such bytes (micro_gw_conf_fuzz found it); TOML forbids them.
TEST(MicroGwConf, ControlCharactersAndBrokenUtf8AreRefusedBeforeParsing) {
  auto c = cli::convert_micro_gw_conf("[jwtTokenConfig]\nissuer = 'b\x12'\n", "micro-gw.conf");
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.error, "micro-gw.conf:2:12: not valid TOML: control character U+0012 (TOML allows only tab, CR and LF)");
  c = cli::convert_micro_gw_conf("# caf\xc3\xa9\n[keyManager]\nserverUrl = \"x\xa6\"\n", "micro-gw.conf");
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.error, "micro-gw.conf:3:15: not valid TOML: not UTF-8 (save the file as UTF-8)");
  for (const char* bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"}) {
    c = cli::convert_micro_gw_conf(std::string("a = \"") + bad + "\"\n", "m.conf");
    EXPECT_THAT(c.error, HasSubstr("not UTF-8")) << bad;
  }
  c = cli::convert_micro_gw_conf("# caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\r\n[authConfig]\n\tauthorizationHeader = \"X\"\n",
                                 "m.conf");
  EXPECT_TRUE(c.ok) << c.error;
}

TEST(MicroGwConf, ValuesAreQuotedWhateverTheyHold) {
  auto c = cli::convert_micro_gw_conf("[authConfig]\nauthorizationHeader = \"a\\\"b: [c]\\n#d\"\n", "m.conf");
  ASSERT_TRUE(c.ok) << c.error;
  EXPECT_THAT(c.postern_yaml, HasSubstr("  auth_header: \"a\\\"b: [c]\\x0a#d\"\n"));
}

}  // namespace
}  // namespace postern::config
