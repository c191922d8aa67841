#pragma once
// `postern bundle build|verify|inspect` and `postern run BUNDLE --trust KEY`
// (docs/deployment.md "Bundles"). The work is done by the bundle module; this is the
// command line around it.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace postern::cli {

struct BundleCommand {
  CLI::App* root = nullptr;
  CLI::App* build = nullptr;
  CLI::App* verify = nullptr;
  CLI::App* inspect = nullptr;
  std::string project;
  std::string output;
  std::string sign_key;
  int64_t sequence = -1;  // -1: the build time in seconds
  std::string bundle;
  std::vector<std::string> trust;
};

// Adds `bundle` and its subcommands to `app`.
void add_bundle_command(CLI::App& app, BundleCommand& command);
int run_bundle_command(const BundleCommand& command);

// `postern run BUNDLE --trust KEY...`: verifies the bundle, extracts it into a private
// temporary folder, links the secrets that lie next to it, and serves it; the folder is
// removed at exit. Nothing of the bundle is written or loaded before it verifies.
int run_bundle_server(const std::string& bundle_file, const std::vector<std::string>& trust, unsigned workers);

// `postern run gateway.yaml` (a `control_plane:` file): serves the bundles a control plane
// publishes, polling for newer ones and keeping the last good one on disk.
int run_control_plane_server(const std::string& file, unsigned workers);

}  // namespace postern::cli
