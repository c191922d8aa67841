#pragma once
// Pieces of load_project() shared between the loader's .cc files (not a public API).
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/snapshot.h"
#include "config/yaml_reader.h"

namespace postern::config::detail {

// Parses the root of postern.yaml into `out`. Relative paths are resolved against
// `project_abs`. `apis_display` receives the apis folder as the user should see it.
void parse_gateway(Diagnostics& d, const YAML::Node& root, const std::filesystem::path& project_abs,
                   const std::filesystem::path& project_display, GatewayConfig& out,
                   std::filesystem::path& apis_display);

// Parses postern.yaml's `security:` section.
void parse_security(Diagnostics& d, const Entry& e, const std::filesystem::path& project_abs, SecurityConfig& out);

// Parses postern.yaml's `throttling:` section (tiers override the built-in ones).
void parse_throttling(Diagnostics& d, const Entry& e, const std::filesystem::path& project_abs, ThrottlingConfig& out);
// Parses postern.yaml's `analytics:` section.
void parse_analytics(Diagnostics& d, const Entry& e, const std::filesystem::path& project_abs, AnalyticsConfig& out);
// A WSO2 3.x policies.yaml (resourcePolicies, applicationPolicies, subscriptionPolicies)
// into the tier maps of `out`; read before postern.yaml, whose tiers may not repeat its names.
void parse_policies_file(Diagnostics& d, const YAML::Node& root, ThrottlingConfig& out);
// The WSO2 default policies (policies.yaml of Microgateway 3.2) plus Unlimited; a tier of
// the same name already in `out` (from the project's policies.yaml) is kept.
void add_builtin_tiers(ThrottlingConfig& out);
// A "host:port" value resolved now; reports and returns nullopt when it is not one.
std::optional<SocketAddress> read_address(Diagnostics& d, const Entry& e, std::string_view what, bool passive);

// Parses `url` as an endpoint URL, resolves its host and appends it to `group`; reports at
// `at` and returns false when it cannot.
bool add_endpoint_url(Diagnostics& d, const YAML::Node& at, const std::string& url, EndpointGroup& group);
// OpenAPI `servers` as a load-balanced endpoint group: variables take their defaults, every
// URL must be absolute. Null (reported) when any entry is unusable.
std::shared_ptr<const EndpointGroup> servers_as_endpoints(Diagnostics& d, const Entry& servers);

// Swagger 2.0's `host` + `basePath` + `schemes` as one endpoint (https when both schemes are
// listed, http when none is). nullopt when the document has neither host nor basePath; a
// null group (reported) when they are unusable, e.g. a basePath without a host.
std::optional<std::shared_ptr<const EndpointGroup>> swagger_endpoints(Diagnostics& d, const MapReader& root);

// A route of one OpenAPI document before ids are assigned.
struct PendingRoute {
  router::Method method;
  std::string method_text;
  std::string resource_path;
  std::string full_template;
  std::shared_ptr<const EndpointGroup> production;
  std::shared_ptr<const EndpointGroup> sandbox;
  std::shared_ptr<const RouteSecurity> security;
  std::string source;  // file:line:col
  YAML::Mark mark;
  std::string tier;  // x-*-throttling-tier of the operation or path item ("" = none)
  YAML::Mark tier_mark;
};

struct ParsedApi {
  std::unique_ptr<Api> api;
  std::string tier;  // x-*-throttling-tier at the root ("" = none)
  YAML::Mark tier_mark;
  std::optional<YAML::Mark> transports_mark;  // of x-*-transports, when set
  std::vector<PendingRoute> routes;
};

// Parses one OpenAPI 3.0/3.1 document. Returns null api when the document has errors.
ParsedApi parse_openapi(Diagnostics& d, const YAML::Node& root, const std::filesystem::path& file_abs);

// Parses a YAML/JSON file; reports syntax errors and returns an undefined node on failure.
std::optional<YAML::Node> load_yaml_file(Diagnostics& d, const std::filesystem::path& file);

}  // namespace postern::config::detail
