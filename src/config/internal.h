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
// Parses postern.yaml's `dns:` section (name servers and refresh period for backend names).
void parse_dns(Diagnostics& d, const Entry& e, DnsConfig& out);
// A WSO2 3.x policies.yaml (resourcePolicies, applicationPolicies, subscriptionPolicies)
// into the tier maps of `out`; read before postern.yaml, whose tiers may not repeat its names.
void parse_policies_file(Diagnostics& d, const YAML::Node& root, ThrottlingConfig& out);
// The WSO2 default policies (policies.yaml of Microgateway 3.2) plus Unlimited; a tier of
// the same name already in `out` (from the project's policies.yaml) is kept.
void add_builtin_tiers(ThrottlingConfig& out);
// A "host:port" value resolved now; reports and returns nullopt when it is not one.
std::optional<SocketAddress> read_address(Diagnostics& d, const Entry& e, std::string_view what, bool passive);

// An endpoint whose host is a name: resolved once every document is read, all names at
// once (endpoint_names.cc), so a slow name server delays a load once, not once per name.
struct NamedEndpoint {
  std::shared_ptr<EndpointGroup> group;
  size_t index = 0;  // into group->endpoints
  YAML::Mark mark;   // of the URL, for the warning when it does not resolve
  std::string file;  // as shown in diagnostics
};

// Parses `url` as an endpoint URL and appends it to `group`: a numeric host is converted
// now, a host name is collected in `named` (resolved with the others later). Reports at
// `at` and returns false when the URL is unusable.
bool add_endpoint_url(Diagnostics& d, const YAML::Node& at, const std::string& url,
                      const std::shared_ptr<EndpointGroup>& group, std::vector<NamedEndpoint>* named);
// OpenAPI `servers` as a load-balanced endpoint group: variables take their defaults, every
// URL must be absolute. Null (reported) when any entry is unusable.
std::shared_ptr<const EndpointGroup> servers_as_endpoints(Diagnostics& d, const Entry& servers,
                                                          std::vector<NamedEndpoint>* named);

// Swagger 2.0's `host` + `basePath` + `schemes` as one endpoint (https when both schemes are
// listed, http when none is). nullopt when the document has neither host nor basePath; a
// null group (reported) when they are unusable, e.g. a basePath without a host.
std::optional<std::shared_ptr<const EndpointGroup>> swagger_endpoints(Diagnostics& d, const MapReader& root,
                                                                      std::vector<NamedEndpoint>* named);

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

// Resolves every named endpoint with the `dns:` settings; fills `addresses` of those that
// resolve and warns at the others (their routes answer 503 until the name resolves).
// An error only when the resolver cannot start (bad `dns.servers`).
void resolve_endpoint_names(const DnsConfig& dns, const std::vector<NamedEndpoint>& named,
                            std::vector<Diagnostic>& errors, std::vector<Diagnostic>& warnings,
                            const std::string& config_file);

struct ParsedApi {
  std::unique_ptr<Api> api;
  std::string tier;  // x-*-throttling-tier at the root ("" = none)
  YAML::Mark tier_mark;
  std::optional<YAML::Mark> transports_mark;  // of x-*-transports, when set
  std::vector<PendingRoute> routes;
  std::vector<NamedEndpoint> named_endpoints;
};

// Parses one OpenAPI 3.0/3.1 document. Returns null api when the document has errors.
ParsedApi parse_openapi(Diagnostics& d, const YAML::Node& root, const std::filesystem::path& file_abs);

// Parses a YAML/JSON file; reports syntax errors and returns an undefined node on failure.
std::optional<YAML::Node> load_yaml_file(Diagnostics& d, const std::filesystem::path& file);

}  // namespace postern::config::detail
