#pragma once
// `postern import-wso2 MGW_PROJECT OUT [--micro-gw-conf FILE]`: turns a WSO2 API
// Microgateway 3.x project (api_definitions/, policies.yaml, grpc_definitions/,
// interceptors/, conf/deployment-config.toml) and its runtime micro-gw.conf into a Postern
// project, prints every part it could not carry over and why, then validates the result.
#include <filesystem>
#include <optional>

namespace postern::cli {

// Writes OUT (which must not exist or be empty): postern.yaml from the micro-gw.conf (or
// defaults without one), apis/ with the OpenAPI/Swagger documents copied unchanged,
// policies.yaml copied unchanged, secrets moved out of the TOML. `conf` defaults to
// MGW_PROJECT/conf/micro-gw.conf or MGW_PROJECT/micro-gw.conf when one exists. Returns 0
// when the new project loads (warnings allowed), 1 otherwise.
int run_import_wso2(const std::filesystem::path& mgw_project, const std::filesystem::path& out,
                    const std::optional<std::filesystem::path>& conf);

}  // namespace postern::cli
