// postern.yaml `analytics:`: defaults, every key, and each mistake at file:line:col.
#include <gmock/gmock.h>

#include <cstdlib>

#include "project_fixture.h"

namespace postern::config {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using testing::ProjectTest;

constexpr const char* kApi = R"(openapi: 3.0.3
info: {title: A, version: '1'}
x-wso2-production-endpoints: {urls: ["http://127.0.0.1:8081"]}
paths:
  /x: {get: {}}
)";

TEST_F(ProjectTest, AnalyticsOffWithoutTheSectionDefaultsWithIt) {
  write("postern.yaml", kMinimalGateway);
  write("apis/a.yaml", kApi);
  auto r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  EXPECT_FALSE(r.snapshot->gateway.analytics.enabled);

  write("postern.yaml", std::string(kMinimalGateway) + "analytics: {}\n");
  r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  const auto& a = r.snapshot->gateway.analytics;
  EXPECT_TRUE(a.enabled);
  EXPECT_EQ(a.dir, std::filesystem::absolute("proj/analytics").lexically_normal());
  EXPECT_EQ(a.flush_interval.count(), 1000);
  EXPECT_EQ(a.rotate_bytes, 64ull << 20);
  EXPECT_TRUE(a.gzip);
  EXPECT_EQ(a.max_disk_bytes, 1ull << 30);
  EXPECT_TRUE(a.upload.url.empty());
}

TEST_F(ProjectTest, AnalyticsEveryKey) {
  ::setenv("POSTERN_UNIT_COLLECTOR_TOKEN", "tok-0123456789", 1);
  write("collector-ca.pem", "-----BEGIN CERTIFICATE-----\n");
  write("postern.yaml", std::string(kMinimalGateway) + R"(analytics:
  dir: /var/tmp/events
  flush_interval: every_event
  rotate_size: 1MiB
  rotate_age: 30s
  compression: none
  max_disk: 10MiB
  max_buffer: 1MiB
  upload:
    url: https://collector:9470/
    token_env: POSTERN_UNIT_COLLECTOR_TOKEN
    ca_file: collector-ca.pem
    interval: 2s
    retry_min: 100ms
    retry_max: 1m
    timeout: 5s
)");
  write("apis/a.yaml", kApi);
  auto r = load();
  ASSERT_TRUE(r.snapshot) << ::testing::PrintToString(errors(r));
  const auto& a = r.snapshot->gateway.analytics;
  EXPECT_EQ(a.dir, "/var/tmp/events");
  EXPECT_EQ(a.flush_interval.count(), 0);
  EXPECT_EQ(a.rotate_bytes, 1u << 20);
  EXPECT_EQ(a.rotate_age.count(), 30000);
  EXPECT_FALSE(a.gzip);
  EXPECT_EQ(a.max_disk_bytes, 10u << 20);
  EXPECT_EQ(a.max_buffer_bytes, 1u << 20);
  EXPECT_EQ(a.upload.url, "https://collector:9470");  // trailing slash dropped
  EXPECT_EQ(a.upload.bearer_token, "tok-0123456789");
  EXPECT_EQ(a.upload.ca_file.filename(), "collector-ca.pem");
  EXPECT_EQ(a.upload.retry_max.count(), 60000);
}

TEST_F(ProjectTest, AnalyticsMistakes) {
  ::setenv("POSTERN_UNIT_COLLECTOR_TOKEN", "tok-0123456789", 1);
  ::setenv("POSTERN_UNIT_COLLECTOR_PASSWORD", "pw", 1);
  write("postern.yaml", std::string(kMinimalGateway) + R"(analytics:
  flush_interval: 20m
  rotate_size: 1KiB
  compression: zstd
  max_disk: 100MiB
  rotate_age: 10ms
  flush_intervall: 1s
  upload:
    url: ftp://collector
    token_env: POSTERN_UNIT_COLLECTOR_TOKEN
    basic_user: gw
    password_env: POSTERN_UNIT_COLLECTOR_PASSWORD
    retry_min: 10s
    retry_max: 1s
)");
  write("apis/a.yaml", kApi);
  auto e = errors(load());
  EXPECT_THAT(e, Contains(HasSubstr("proj/postern.yaml:4:19: 'flush_interval' must be at most 10m")));
  EXPECT_THAT(e, Contains(HasSubstr("proj/postern.yaml:5:16: 'rotate_size' must be at least 4KiB")));
  EXPECT_THAT(e, Contains(HasSubstr("proj/postern.yaml:6:16: 'compression' must be gzip or none")));
  EXPECT_THAT(e, Contains(HasSubstr("'rotate_age' must be at least 100ms")));
  EXPECT_THAT(e, Contains(HasSubstr("unknown key 'flush_intervall'")));
  EXPECT_THAT(e, Contains(HasSubstr("must start with http:// or https://")));
  EXPECT_THAT(e, Contains(HasSubstr("has both a token and a basic_user")));
  EXPECT_THAT(e, Contains(HasSubstr("'retry_max' must not be below 'retry_min'")));

  write("postern.yaml", std::string(kMinimalGateway) + "analytics:\n  rotate_size: 64MiB\n  max_disk: 100MiB\n");
  e = errors(load());
  EXPECT_THAT(e, Contains(HasSubstr("proj/postern.yaml:5:13: 'max_disk' must be at least twice 'rotate_size'")));
}

}  // namespace
}  // namespace postern::config
