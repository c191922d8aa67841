#pragma once
// What the admin listener needs from the process; implemented by server::Server. An
// interface keeps admin free of a dependency cycle with server.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace postern::admin {

class AdminBackend {
 public:
  virtual ~AdminBackend() = default;
  virtual bool admin_ready() const = 0;               // config loaded, workers running, not draining
  virtual std::string admin_bundle_json() const = 0;  // the signed bundle in force (JSON), "" = none
  virtual std::string admin_metrics() const = 0;      // Prometheus text
  virtual std::string admin_config_json() const = 0;
  // Reloads the project; false + errors when the new config is invalid (old one stays).
  virtual bool admin_reload(std::vector<std::string>& errors) = 0;
  // Revokes a JWT id on every worker (kept across reloads until restart).
  virtual void admin_revoke(const std::string& jti) = 0;
  // The bearer token admin calls other than /health, /ready and /metrics need; "" = none
  // configured (then changing blocking conditions is refused).
  virtual std::string admin_token() const = 0;
  virtual std::string admin_throttle_tiers() const = 0;                        // JSON
  virtual std::string admin_throttle_counter(std::string_view key) const = 0;  // JSON, "" = unknown key
  virtual std::string admin_blocks() const = 0;                                // JSON
  // Adds a blocking condition; returns its id, or 0 with `error` set.
  virtual uint64_t admin_add_block(std::string_view type, std::string_view value, std::string& error) = 0;
  virtual bool admin_remove_block(uint64_t id) = 0;
};

}  // namespace postern::admin
