#include "cli/init_command.h"

#include <cstdio>
#include <fstream>
#include <system_error>

namespace postern::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kGatewayYaml = R"(# Postern gateway configuration; reference: docs/configuration.md
listeners:
  - {name: http, address: "0.0.0.0:9090"}
admin: {address: "127.0.0.1:9091"}
workers: auto
apis: apis/
)";

constexpr const char* kExampleApi = R"(# An example API: every request under /hello/1.0.0 goes to the echo backend
# (start it with `postern echo`). Reference: docs/configuration.md
openapi: 3.0.3
info:
  title: Hello
  version: 1.0.0
x-wso2-basePath: /hello/{version}
x-wso2-production-endpoints:
  urls:
    - http://127.0.0.1:8080
paths:
  /greetings:
    get:
      summary: List greetings
      x-wso2-disable-security: true
    post:
      summary: Create a greeting
      x-wso2-disable-security: true
  /greetings/{id}:
    get:
      summary: Get one greeting
      x-wso2-disable-security: true
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
)";

bool write_file(const fs::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  return static_cast<bool>(out);
}

}  // namespace

int run_init(const fs::path& dir, const std::optional<fs::path>& openapi_file) {
  std::error_code ec;
  const fs::path config = dir / "postern.yaml";
  if (fs::exists(config, ec)) {
    std::fprintf(stderr, "error: %s already exists; not overwriting it (remove it or pick another folder)\n",
                 config.string().c_str());
    return 1;
  }
  std::string api_content;
  fs::path api_name = "hello.yaml";
  if (openapi_file) {
    std::ifstream in(*openapi_file, std::ios::binary);
    if (!in || !fs::is_regular_file(*openapi_file, ec)) {
      std::fprintf(stderr, "error: cannot read OpenAPI document %s\n", openapi_file->string().c_str());
      return 1;
    }
    api_content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    std::string ext = openapi_file->extension().string();
    if (ext != ".yaml" && ext != ".yml" && ext != ".json") ext = ".yaml";
    api_name = openapi_file->stem().string() + ext;
  } else {
    api_content = kExampleApi;
  }
  const fs::path apis = dir / "apis";
  const fs::path api_file = apis / api_name;
  if (fs::exists(api_file, ec)) {
    std::fprintf(stderr, "error: %s already exists; not overwriting it\n", api_file.string().c_str());
    return 1;
  }
  fs::create_directories(apis, ec);
  if (ec) {
    std::fprintf(stderr, "error: cannot create %s: %s\n", apis.string().c_str(), ec.message().c_str());
    return 1;
  }
  if (!write_file(config, kGatewayYaml) || !write_file(api_file, api_content)) {
    std::fprintf(stderr, "error: cannot write into %s\n", dir.string().c_str());
    return 1;
  }
  std::printf("created %s\ncreated %s\n", config.string().c_str(), api_file.string().c_str());
  if (openapi_file) {
    std::printf(
        "\nAdd x-wso2-basePath and x-wso2-production-endpoints to %s if it has none\n"
        "(see docs/configuration.md), then:\n",
        api_file.string().c_str());
  } else {
    std::printf("\nNext:\n  postern echo &        # the example backend on 127.0.0.1:8080\n");
  }
  std::printf("  postern validate %s\n  postern run %s\n", dir.string().c_str(), dir.string().c_str());
  if (!openapi_file) std::printf("  curl http://127.0.0.1:9090/hello/1.0.0/greetings\n");
  return 0;
}

}  // namespace postern::cli
