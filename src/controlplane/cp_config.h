#pragma once
// The local file of a gateway that takes its project from a control plane (the hybrid
// pattern, docs/deployment.md "Control plane"):
//
//   control_plane:
//     url: https://cp.example.com/bundles/orders.bundle   # any HTTPS server or object store
//     trust: [keys/publisher.pub]   # public keys a bundle must be signed by
//     poll: 30s
//     timeout: 60s                  # one fetch, from connecting to the last byte
//     ca_file: certs/cp-ca.pem      # default: the system CA store
//     token_env: POSTERN_CP_TOKEN   # sent as "Authorization: Bearer <token>"
//     state_dir: /var/lib/postern/control-plane   # the last good bundle, for offline restarts
//     secrets_dir: .                # secrets a bundle leaves out (default: this file's folder)
//
// Relative paths are relative to the file's folder.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "config/loader.h"

namespace postern::controlplane {

struct ControlPlaneConfig {
  std::filesystem::path file;  // where it was read from
  std::string url;
  std::vector<std::filesystem::path> trust;
  std::chrono::milliseconds poll{30'000};
  // One fetch may take this long: a bundle may be tens of MiB on a slow link, but a control
  // plane behind a black hole should not hold the poller for long either.
  std::chrono::milliseconds timeout{60'000};
  std::filesystem::path ca_file;  // empty: the system CA store
  std::string token_env;
  std::string token;  // the variable's value; "" = no Authorization header
  std::filesystem::path state_dir{"/var/lib/postern/control-plane"};
  std::filesystem::path secrets_dir;
};

// True when `file` is a control-plane file rather than a bundle: a YAML name.
bool looks_like_control_plane_file(const std::filesystem::path& file);

// Reads `file`; false with one diagnostic (file:line:col and a fix) per problem.
bool load_control_plane_config(const std::filesystem::path& file, ControlPlaneConfig& out,
                               std::vector<config::Diagnostic>& errors);

}  // namespace postern::controlplane
