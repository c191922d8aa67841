// `postern` entry point: parses the command line and hands over to one subcommand.
#include <CLI/CLI.hpp>

#include <optional>

#include "cli/echo_server.h"
#include "cli/init_command.h"
#include "cli/validate_command.h"
#include "core/log.h"
#include "server/server.h"

int main(int argc, char** argv) {
  CLI::App app{"Postern: an API microgateway driven by OpenAPI documents"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();

  std::string project;
  unsigned workers = 0;
  auto* run = app.add_subcommand("run", "Serve a project (postern.yaml + apis/)");
  run->add_option("dir", project, "Project folder")->required();
  run->add_option("--workers", workers, "Worker threads (overrides postern.yaml; 0 = config)");

  auto* validate = app.add_subcommand("validate", "Check a project; print every error as file:line:col");
  validate->add_option("dir", project, "Project folder")->required();

  std::string openapi;
  auto* init = app.add_subcommand("init", "Create a project folder");
  init->add_option("dir", project, "Project folder to create")->required();
  init->add_option("--openapi", openapi, "An OpenAPI document to start from");

  postern::cli::EchoOptions echo_options;
  auto* echo = app.add_subcommand("echo", "Run the echo backend (demo and tests)");
  echo->add_option("--listen", echo_options.listen, "HOST:PORT")->capture_default_str();

  app.add_subcommand("version", "Print the version");

  CLI11_PARSE(app, argc, argv);
  postern::log::init(log_level);

  if (*run) {
    postern::server::ServerOptions options;
    options.project_dir = project;
    options.workers_override = workers;
    postern::server::Server server(options);
    return server.run();
  }
  if (*validate) return postern::cli::run_validate(project);
  if (*init) {
    std::optional<std::filesystem::path> file;
    if (!openapi.empty()) file = openapi;
    return postern::cli::run_init(project, file);
  }
  if (*echo) return postern::cli::run_echo(echo_options);
  std::printf("postern 0.1.0\n");
  return 0;
}
