// WSO2 extensions Postern does not enforce are never silent (issue 10, item 6): each one
// warns at file:line:col, interceptors refuse the load, x-*-transports and x-*-owner are
// applied and therefore do not warn.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/validate_command.h"
#include "config/loader.h"
#include "project_fixture.h"

namespace postern::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::ProjectTest;
using ::testing::StartsWith;

std::vector<std::string> warnings(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.warnings) out.push_back(d.format());
  return out;
}

TEST_F(ProjectTest, UnenforcedExtensionsWarnAtTheirPosition) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", R"(openapi: 3.0.3
info: {title: A, version: 1}
x-wso2-basePath: /a
x-wso2-cors: {accessControlAllowOrigins: ["*"]}
x-postern-response-cache: {enabled: true, cacheTimeoutInSeconds: 60}
x-wso2-production-endpoints:
  urls: ["http://127.0.0.1:8081"]
  securityConfig: {type: basic, username: u}
  advanceEndpointConfig:
    timeoutInMillis: 500
    retryConfig: {count: 3}
    circuitBreaker: {failureThreshold: 0.5}
    poolConfig: {maxActiveConnections: 10}
paths:
  /x:
    get: {}
)");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << errors(r).at(0);
  auto w = warnings(r);
  ASSERT_EQ(w.size(), 6u) << ::testing::PrintToString(w);
  EXPECT_EQ(
      w[0],
      "proj/apis/a.yaml:4:1: warning: 'x-wso2-cors' is not enforced by Postern yet; CORS preflights are forwarded "
      "to the backend unchanged and no Access-Control-* header is added, so the backend must answer CORS itself "
      "(a preflight reaches it only through an options operation, with x-wso2-disable-security: true since "
      "browsers send no credentials); remove the extension once it does");
  EXPECT_THAT(w[1], StartsWith("proj/apis/a.yaml:5:1: warning: 'x-postern-response-cache' is not enforced by Postern "
                               "yet; no response is cached and every request reaches the backend"));
  EXPECT_THAT(w[2], StartsWith("proj/apis/a.yaml:8:3: warning: 'securityConfig' (backend Basic authentication) is "
                               "not enforced by Postern yet; requests reach the backend without these credentials"));
  EXPECT_THAT(w[3], StartsWith("proj/apis/a.yaml:11:5: warning: 'retryConfig' is not enforced by Postern yet; a "
                               "failed backend call is not retried"));
  EXPECT_THAT(w[4], StartsWith("proj/apis/a.yaml:12:5: warning: 'circuitBreaker' is not enforced by Postern yet; a "
                               "failing backend keeps receiving requests"));
  EXPECT_THAT(w[5], StartsWith("proj/apis/a.yaml:13:5: warning: 'poolConfig' is not enforced by Postern yet; backend "
                               "connections are pooled per worker as limits.max_idle_upstream_per_endpoint"));
  // The warnings change nothing that is enforced.
  EXPECT_EQ(r.snapshot->routes.at(0).production->timeout, Millis(500));
  EXPECT_TRUE(r.diagnostics.empty());
}

TEST_F(ProjectTest, ANamedEndpointWarnsOnceWhereItIsDefined) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", R"(openapi: 3.0.3
info: {title: A, version: 1}
x-wso2-basePath: /a
x-wso2-endpoints:
  - shared:
      urls: ["http://127.0.0.1:8081"]
      advanceEndpointConfig:
        retryConfig: {count: 2}
x-wso2-production-endpoints: "#/x-wso2-endpoints/shared"
paths:
  /x:
    get:
      x-wso2-production-endpoints: "#/x-wso2-endpoints/shared"
    post: {}
  /y:
    get:
      x-wso2-sandbox-endpoints:
        urls: ["http://127.0.0.1:8082"]
        securityConfig: {type: basic}
)");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << errors(r).at(0);
  auto w = warnings(r);
  ASSERT_EQ(w.size(), 2u) << ::testing::PrintToString(w);
  EXPECT_THAT(w[0], StartsWith("proj/apis/a.yaml:8:9: warning: 'retryConfig' is not enforced"));
  EXPECT_THAT(w[1], StartsWith("proj/apis/a.yaml:19:9: warning: 'securityConfig' (backend Basic authentication)"));
}

TEST_F(ProjectTest, InterceptorsRefuseTheLoad) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", R"(openapi: 3.0.3
info: {title: A, version: 1}
x-wso2-basePath: /a
x-wso2-production-endpoints: {urls: ["http://127.0.0.1:8081"]}
x-wso2-request-interceptor: java:com.example.Audit
paths:
  /x:
    x-postern-response-interceptor: validateResponse
    get:
      x-wso2-request-interceptor: {serviceURL: "https://interceptor:8443"}
)");
  auto r = load();
  EXPECT_FALSE(r.snapshot);
  EXPECT_THAT(
      errors(r),
      ElementsAre("proj/apis/a.yaml:5:1: 'x-wso2-request-interceptor' names a WSO2 Microgateway 3.x interceptor "
                  "('java:com.example.Audit'), a Ballerina function or Java class that Postern cannot run; remove the "
                  "extension and move its logic into the backend (support for HTTP interceptor services is future "
                  "work)",
                  "proj/apis/a.yaml:8:5: 'x-postern-response-interceptor' names a WSO2 Microgateway 3.x interceptor "
                  "('validateResponse'), a Ballerina function or Java class that Postern cannot run; remove the "
                  "extension and move its logic into the backend (support for HTTP interceptor services is future "
                  "work)",
                  "proj/apis/a.yaml:10:7: 'x-wso2-request-interceptor' names an interceptor service, which Postern "
                  "cannot call yet; remove the extension and move its logic into the backend (support for HTTP "
                  "interceptor services is future work)"));
}

TEST_F(ProjectTest, WarningsAreReportedAlongsideErrors) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", R"(openapi: 3.0.3
info: {title: A, version: 1}
x-wso2-basePath: /a
x-wso2-cors: {}
x-wso2-production-endpoints: {urls: ["not a url"]}
paths:
  /x: {get: {}}
)");
  auto r = load();
  EXPECT_FALSE(r.snapshot);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_THAT(errors(r)[0], StartsWith("proj/apis/a.yaml:5:38: endpoint URL 'not a url'"));
  EXPECT_THAT(warnings(r), ElementsAre(StartsWith("proj/apis/a.yaml:4:1: warning: 'x-wso2-cors' is not enforced")));
}

// An API document with the given root-level lines added.
std::string doc_with(const std::string& extra) {
  return "openapi: 3.0.3\n"
         "info: {title: A, version: 1}\n"
         "x-wso2-basePath: /a\n"
         "x-wso2-production-endpoints: {urls: [\"http://127.0.0.1:8081\"]}\n" +
         extra +
         "paths:\n"
         "  /x: {get: {}}\n";
}

TEST_F(ProjectTest, TransportsAreParsedAndDoNotWarn) {
  write("postern.yaml", kMinimalGateway);
  struct Case {
    std::string yaml;
    bool plain, tls;
  };
  for (const Case& c :
       {Case{"", true, true}, Case{"x-wso2-transports: [http, https]\n", true, true},
        Case{"x-wso2-transports: [https, http]\n", true, true}, Case{"x-wso2-transports: [http]\n", true, false},
        Case{"x-postern-transports:\n  - http\n", true, false}}) {
    SCOPED_TRACE(c.yaml);
    write("apis/a.yaml", doc_with(c.yaml));
    auto r = load();
    ASSERT_TRUE(r.snapshot) << errors(r).at(0);
    const Api& api = *r.snapshot->apis.at(0);
    EXPECT_EQ(api.served_on(false), c.plain);
    EXPECT_EQ(api.served_on(true), c.tls);
    EXPECT_THAT(warnings(r), IsEmpty());
  }
}

TEST_F(ProjectTest, HttpsOnlyApiWithoutTlsListenerWarns) {
  write("postern.yaml", kMinimalGateway);  // one plain listener
  write("apis/a.yaml", doc_with("x-wso2-transports: [https]\n"));
  auto r = load();
  ASSERT_TRUE(r.snapshot) << errors(r).at(0);
  EXPECT_FALSE(r.snapshot->apis.at(0)->served_on(false));
  EXPECT_TRUE(r.snapshot->apis.at(0)->served_on(true));
  EXPECT_THAT(warnings(r), ElementsAre("proj/apis/a.yaml:5:1: warning: the API is served only on TLS listeners and "
                                       "postern.yaml has none, so every request to it gets 404; add such a listener "
                                       "or change the transports"));
}

TEST_F(ProjectTest, TransportErrors) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", doc_with("x-wso2-transports: [htps, http, {a: b}]\n"));
  EXPECT_THAT(errors(load()),
              ElementsAre("proj/apis/a.yaml:5:21: unknown transport 'htps' in 'x-wso2-transports'; use http and/or "
                          "https; did you mean 'https'?",
                          "proj/apis/a.yaml:5:33: unknown transport '' in 'x-wso2-transports'; use http and/or https"));
  write("apis/a.yaml", doc_with("x-wso2-transports: HTTPS\n"));
  EXPECT_THAT(errors(load()), ElementsAre("proj/apis/a.yaml:5:20: 'x-wso2-transports' must be a non-empty list of "
                                          "http and/or https, e.g. [https]"));
  write("apis/a.yaml", doc_with("x-wso2-transports: []\n"));
  EXPECT_THAT(errors(load()),
              ElementsAre(StartsWith("proj/apis/a.yaml:5:20: 'x-wso2-transports' must be a non-empty")));
  write("apis/a.yaml", doc_with("x-wso2-transports:\n"));
  EXPECT_THAT(errors(load()), ElementsAre(StartsWith("proj/apis/a.yaml:5:1: 'x-wso2-transports' must be a non-empty")));
  write("apis/a.yaml", doc_with("x-wso2-transports: [HTTPS]\n"));
  EXPECT_THAT(errors(load()), ElementsAre("proj/apis/a.yaml:5:21: unknown transport 'HTTPS' in 'x-wso2-transports'; "
                                          "use http and/or https; did you mean 'https'?"));
}

TEST_F(ProjectTest, OwnerIsRecordedAndDoesNotWarn) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", doc_with("x-wso2-owner: alice@example.com\n"));
  write("apis/b.yaml",
        "openapi: 3.0.3\ninfo: {title: B, version: 1}\nx-wso2-basePath: /b\n"
        "x-wso2-production-endpoints: {urls: [\"http://127.0.0.1:8081\"]}\npaths:\n  /x: {get: {}}\n");
  auto r = load();
  ASSERT_TRUE(r.snapshot) << errors(r).at(0);
  EXPECT_EQ(r.snapshot->apis.at(0)->owner, "alice@example.com");
  EXPECT_EQ(r.snapshot->apis.at(1)->owner, "");
  EXPECT_THAT(warnings(r), IsEmpty());
  write("apis/a.yaml", doc_with("x-wso2-owner: [a, b]\n"));
  EXPECT_THAT(errors(load()), ElementsAre(StartsWith("proj/apis/a.yaml:5:15: 'x-wso2-owner' must be")));
}

// --- postern validate ------------------------------------------------------------------

TEST_F(ProjectTest, ValidatePrintsWarningsAndExitsZero) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", doc_with("x-wso2-cors: {accessControlAllowOrigins: [\"*\"]}\n"));
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(cli::run_validate("proj"), 0);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "ok: 1 API, 1 route (project proj); 1 warning\n");
  EXPECT_THAT(err, StartsWith("proj/apis/a.yaml:5:1: warning: 'x-wso2-cors' is not enforced by Postern yet; CORS "
                              "preflights are forwarded to the backend unchanged"));
  EXPECT_EQ(err.find('\n'), err.size() - 1) << "one line per warning:\n" << err;
}

TEST_F(ProjectTest, ValidateStrictRefusesWarnings) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", doc_with("x-wso2-cors: {}\nx-wso2-response-cache: {enabled: false}\n"));
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(cli::run_validate("proj", true), 1);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  EXPECT_THAT(err, HasSubstr("proj/apis/a.yaml:5:1: warning: 'x-wso2-cors' is not enforced"));
  EXPECT_THAT(err, HasSubstr("proj/apis/a.yaml:6:1: warning: 'x-wso2-response-cache' is not enforced"));
  EXPECT_THAT(err, HasSubstr("\n2 warnings; --strict refuses the project\n"));

  // Without warnings --strict says ok like plain validate.
  write("apis/a.yaml", doc_with("x-wso2-owner: alice\nx-wso2-transports: [http]\n"));
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(cli::run_validate("proj", true), 0);
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "ok: 1 API, 1 route (project proj)\n");
}

TEST_F(ProjectTest, ValidateRefusesAnInterceptor) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", doc_with("x-wso2-request-interceptor: myorg/validation:validateRequest\n"));
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(cli::run_validate("proj"), 1);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, HasSubstr("proj/apis/a.yaml:5:1: 'x-wso2-request-interceptor' names a WSO2 Microgateway 3.x "
                             "interceptor ('myorg/validation:validateRequest'), a Ballerina function or Java class "
                             "that Postern cannot run; remove the extension and move its logic into the backend"));
  EXPECT_THAT(err, HasSubstr("1 error; the project was not loaded\n"));
}

}  // namespace
}  // namespace postern::config
