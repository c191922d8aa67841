#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/init_command.h"
#include "cli/validate_command.h"
#include "project_fixture.h"

namespace postern::config {
namespace {

using ::testing::HasSubstr;
using testing::ProjectTest;

TEST_F(ProjectTest, InitThenValidate) {
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(cli::run_init("fresh", std::nullopt), 0);
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_THAT(out, HasSubstr("created fresh/postern.yaml\ncreated fresh/apis/hello.yaml\n"));
  EXPECT_THAT(out, HasSubstr("postern validate fresh"));

  ::testing::internal::CaptureStdout();
  EXPECT_EQ(cli::run_validate("fresh"), 0);
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "ok: 1 API, 3 routes (project fresh)\n");

  auto r = load_project("fresh");
  ASSERT_TRUE(r.snapshot);
  EXPECT_EQ(r.snapshot->gateway.listeners.at(0).address.text, "0.0.0.0:9090");
  EXPECT_EQ(r.snapshot->gateway.admin->text, "127.0.0.1:9091");
  EXPECT_EQ(r.snapshot->routes.at(0).production->endpoints.at(0).url, "http://127.0.0.1:8080");

  // A second init never overwrites.
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(cli::run_init("fresh", std::nullopt), 1);
  EXPECT_THAT(::testing::internal::GetCapturedStderr(),
              HasSubstr("fresh/postern.yaml already exists; not overwriting it"));
}

TEST_F(ProjectTest, InitWithOpenApiCopiesTheDocument) {
  write("../orders.json",
        "{\"openapi\": \"3.0.0\", \"info\": {\"title\": \"O\", \"version\": \"1\"}, \"x-wso2-basePath\": \"/o\",\n"
        " \"x-wso2-production-endpoints\": {\"urls\": [\"http://127.0.0.1:8080\"]}, \"paths\": {\"/a\": {\"get\": "
        "{}}}}\n");
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(cli::run_init("withdoc", std::filesystem::path("orders.json")), 0);
  EXPECT_THAT(::testing::internal::GetCapturedStdout(), HasSubstr("created withdoc/apis/orders.json"));
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(cli::run_validate("withdoc"), 0);
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "ok: 1 API, 1 route (project withdoc)\n");

  ::testing::internal::CaptureStderr();
  EXPECT_EQ(cli::run_init("other", std::filesystem::path("missing.yaml")), 1);
  EXPECT_THAT(::testing::internal::GetCapturedStderr(), HasSubstr("cannot read OpenAPI document missing.yaml"));
  EXPECT_FALSE(std::filesystem::exists("other/postern.yaml"));
}

TEST_F(ProjectTest, ValidatePrintsEveryDiagnostic) {
  write("postern.yaml", "listeners: [{address: \"127.0.0.1:9090\"}]\nworkers: none\nadmin: {address: x}\n");
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(cli::run_validate("proj"), 1);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, HasSubstr("proj/postern.yaml:2:10: 'workers' must be"));
  EXPECT_THAT(err, HasSubstr("proj/postern.yaml:3:18: address 'x' has no port"));
  EXPECT_THAT(err, HasSubstr("2 errors; the project was not loaded\n"));
}

}  // namespace
}  // namespace postern::config
