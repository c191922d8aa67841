#pragma once
// What the admin listener needs from the process; implemented by server::Server. An
// interface keeps admin free of a dependency cycle with server.
#include <string>
#include <vector>

namespace postern::admin {

class AdminBackend {
 public:
  virtual ~AdminBackend() = default;
  virtual bool admin_ready() const = 0;             // config loaded, workers running, not draining
  virtual std::string admin_metrics() const = 0;    // Prometheus text
  virtual std::string admin_config_json() const = 0;
  // Reloads the project; false + errors when the new config is invalid (old one stays).
  virtual bool admin_reload(std::vector<std::string>& errors) = 0;
  // Revokes a JWT id on every worker (kept across reloads until restart).
  virtual void admin_revoke(const std::string& jti) = 0;
};

}  // namespace postern::admin
