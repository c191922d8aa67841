// `postern` entry point: parses the command line and hands over to one subcommand.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <optional>

#include "bundle/bundle.h"
#include "cli/analytics_command.h"
#include "cli/bundle_command.h"
#include "cli/echo_server.h"
#include "cli/hash_password_command.h"
#include "cli/import_wso2_command.h"
#include "cli/init_command.h"
#include "cli/keymanager_command.h"
#include "cli/token_command.h"
#include "cli/validate_command.h"
#include "controlplane/cp_config.h"
#include "core/log.h"
#include "server/server.h"

int main(int argc, char** argv) {
  CLI::App app{"Postern: an API microgateway driven by OpenAPI documents"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();

  std::string project;
  unsigned workers = 0;
  std::vector<std::string> run_trust;
  auto* run = app.add_subcommand(
      "run", "Serve a project (postern.yaml + apis/), a signed bundle, or a control plane's bundles");
  run->add_option("dir", project, "Project folder, a bundle file (with --trust), or a control-plane file (*.yaml)")
      ->required();
  run->add_option("--trust", run_trust, "PEM public key a bundle must be signed by (repeatable)");
  run->add_option("--workers", workers, "Worker threads (overrides postern.yaml; 0 = config)");

  bool strict = false;
  auto* validate = app.add_subcommand(
      "validate", "Check a project; print every error and warning as file:line:col (exit 1 on errors)");
  validate->add_option("dir", project, "Project folder")->required();
  validate->add_flag("--strict", strict,
                     "Also exit 1 when there are warnings (extensions Postern accepts but does not enforce)");

  std::string openapi;
  auto* init = app.add_subcommand("init", "Create a project folder");
  init->add_option("dir", project, "Project folder to create")->required();
  init->add_option("--openapi", openapi, "An OpenAPI document to start from");

  std::string mgw_project, import_out, mgw_conf;
  auto* import_wso2 = app.add_subcommand(
      "import-wso2", "Convert a WSO2 API Microgateway 3.x project (+ micro-gw.conf) into a Postern project");
  import_wso2->add_option("mgw_project", mgw_project, "The WSO2 project folder (with api_definitions/)")->required();
  import_wso2->add_option("out", import_out, "The Postern project folder to create")->required();
  import_wso2->add_option("--micro-gw-conf", mgw_conf,
                          "The runtime's micro-gw.conf (default: MGW_PROJECT/conf/micro-gw.conf if present)");

  postern::cli::EchoOptions echo_options;
  auto* echo = app.add_subcommand("echo", "Run the echo backend (demo and tests)");
  echo->add_option("--listen", echo_options.listen, "HOST:PORT")->capture_default_str();

  postern::cli::TokenOptions token_options;
  auto* token = app.add_subcommand("token", "Mint a development JWT signed with a local private key");
  token->add_option("--key", token_options.key_file, "PEM private key (RSA, EC, Ed25519)")->required();
  token->add_option("--alg", token_options.alg, "RS256, PS256, ES256, EdDSA … (default: from the key)");
  token->add_option("--kid", token_options.kid, "Key id to put in the header");
  token->add_option("--issuer", token_options.issuer, "iss claim")->capture_default_str();
  token->add_option("--sub", token_options.subject, "sub claim")->capture_default_str();
  token->add_option("--aud", token_options.audiences, "aud claim (repeatable)");
  token->add_option("--scopes", token_options.scopes, "Space-separated scopes (scope claim)");
  token->add_option("--lifetime", token_options.lifetime_seconds, "Seconds until exp")->capture_default_str();
  token->add_option("--api", token_options.apis, "Subscribed API as Name:version (repeatable; version * = any)");
  token->add_option("--allowed-api", token_options.allowed_apis,
                    "allowedAPIs entry Name:version (repeatable): makes a WSO2-style API-key token");
  token->add_option("--tier", token_options.tier, "subscriptionTier of the subscribed APIs")->capture_default_str();
  token->add_option("--app-id", token_options.app_id, "application.id")->capture_default_str();
  token->add_option("--app-name", token_options.app_name, "application.name")->capture_default_str();
  token->add_option("--app-tier", token_options.app_tier, "application.tier")->capture_default_str();
  token->add_option("--claim", token_options.extra_claims,
                    "Extra string claim NAME=VALUE (repeatable), e.g. --claim org=acme");
  token->add_option("--keytype", token_options.keytype, "PRODUCTION or SANDBOX")->capture_default_str();
  token->add_option("--client-id", token_options.consumer_key, "azp / consumerKey claims")->capture_default_str();

  std::vector<std::string> jwks_keys, jwks_kids;
  auto* jwks = app.add_subcommand("jwks", "Print a JWKS with the public half of PEM keys");
  jwks->add_option("--key", jwks_keys, "PEM key (repeatable)")->required();
  jwks->add_option("--kid", jwks_kids, "kid of the key at the same position (repeatable)");

  auto* hash_password = app.add_subcommand(
      "hash-password", "Read a password from stdin, print its scrypt hash (for security.users in postern.yaml)");

  auto* analytics = app.add_subcommand("analytics", "Analytics collector and reports");
  analytics->require_subcommand(1);
  postern::cli::CollectOptions collect_options;
  auto* collect = analytics->add_subcommand("collect", "Receive event files from gateways and store them");
  collect->add_option("--listen", collect_options.listen, "HOST:PORT")->capture_default_str();
  collect->add_option("--db", collect_options.db, "sqlite:///abs/path.db, a file path, or postgresql://…")->required();
  collect->add_option("--token-env", collect_options.token_env, "Env var holding the bearer token uploads must carry");
  collect->add_option("--token-file", collect_options.token_file, "File holding the bearer token");
  collect->add_option("--basic-user", collect_options.basic_user, "User for HTTP Basic uploads");
  collect->add_option("--password-env", collect_options.password_env, "Env var holding the Basic user's password");
  collect->add_option("--tls-cert", collect_options.tls_cert, "PEM certificate chain: serve HTTPS");
  collect->add_option("--tls-key", collect_options.tls_key, "PEM private key of --tls-cert");
  collect
      ->add_option("--max-file-size", collect_options.max_file_size,
                   "Largest accepted body, and largest decompressed file, in bytes")
      ->capture_default_str();
  collect->add_flag("--insecure-no-auth", collect_options.insecure_no_auth,
                    "Accept uploads without credentials (tests and trusted networks only)");

  postern::cli::ReportOptions report_options;
  auto* report = analytics->add_subcommand("report", "Requests, errors, latency and rejections from stored events");
  report->add_option("--db", report_options.db, "sqlite:///abs/path.db, a file path, or postgresql://…")->required();
  report->add_option("--since", report_options.since, "Start: ISO-8601 UTC or an age like 30m, 24h, 7d");
  report->add_option("--until", report_options.until, "End (exclusive): ISO-8601 UTC or an age");
  report->add_option("--format", report_options.format, "text, json or html")->capture_default_str();
  report->add_option("--output", report_options.output, "Write to FILE instead of stdout");

  postern::cli::BundleCommand bundle;
  postern::cli::add_bundle_command(app, bundle);

  postern::cli::KeymanagerCommand keymanager;
  postern::cli::add_keymanager_command(app, keymanager);

  app.add_subcommand("version", "Print the version");

  CLI11_PARSE(app, argc, argv);
  postern::log::init(log_level);

  if (*run) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(project, ec)) {
      if (!postern::controlplane::looks_like_control_plane_file(project))
        return postern::cli::run_bundle_server(project, run_trust, workers);
      if (!run_trust.empty()) {
        std::fprintf(stderr, "postern run: --trust is for bundles; %s names its keys in 'control_plane.trust'\n",
                     project.c_str());
        return 1;
      }
      return postern::cli::run_control_plane_server(project, workers);
    }
    if (!run_trust.empty()) {
      std::fprintf(stderr, "postern run: --trust is for bundles; %s is not a bundle file\n", project.c_str());
      return 1;
    }
    postern::server::ServerOptions options;
    options.project_dir = project;
    options.workers_override = workers;
    postern::server::Server server(options);
    return server.run();
  }
  if (*validate) return postern::cli::run_validate(project, strict);
  if (*init) {
    std::optional<std::filesystem::path> file;
    if (!openapi.empty()) file = openapi;
    return postern::cli::run_init(project, file);
  }
  if (*import_wso2) {
    std::optional<std::filesystem::path> conf;
    if (!mgw_conf.empty()) conf = mgw_conf;
    return postern::cli::run_import_wso2(mgw_project, import_out, conf);
  }
  if (*echo) return postern::cli::run_echo(echo_options);
  if (*token) return postern::cli::run_token(token_options);
  if (*jwks) return postern::cli::run_jwks(jwks_keys, jwks_kids);
  if (*hash_password) return postern::cli::run_hash_password();
  if (*collect) return postern::cli::run_analytics_collect(collect_options);
  if (*report) return postern::cli::run_analytics_report(report_options);
  if (*bundle.root) return postern::cli::run_bundle_command(bundle);
  if (*keymanager.root) return postern::cli::run_keymanager_command(keymanager);
  // The CMake project version, the same the bundle manifests record.
  std::printf("postern %.*s\n", int(postern::bundle::postern_version().size()),
              postern::bundle::postern_version().data());
  return 0;
}
