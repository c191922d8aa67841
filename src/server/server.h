#pragma once
// The process: loads the project, starts workers and the admin listener, reloads on SIGHUP
// (a valid config replaces the old one; an invalid one is logged and the old one stays),
// drains on SIGTERM/SIGINT.
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admin/admin_backend.h"
#include "config/loader.h"
#include "filters/auth/jwks_fetcher.h"
#include "filters/auth/password_checker.h"
#include "filters/auth/revocation_poller.h"
#include "net/asio.h"
#include "server/access_log.h"
#include "server/active_bundle.h"
#include "server/analytics_state.h"
#include "server/metrics.h"
#include "server/runtime.h"
#include "server/throttling_state.h"
#include "server/worker.h"

namespace postern::server {

struct ServerOptions {
  std::filesystem::path project_dir;
  unsigned workers_override = 0;       // 0 = from postern.yaml
  std::optional<ActiveBundle> bundle;  // the signed bundle project_dir was extracted from
  // Appends lines to /metrics (a control-plane client's counters); called on the main loop.
  std::function<void(std::string&)> extra_metrics;
};

class Server final : public admin::AdminBackend {
 public:
  explicit Server(ServerOptions options);
  ~Server();

  // Runs until drained. Returns the process exit code.
  int run();

  // --- main thread (admin handlers) ---
  bool ready() const { return ready_ && !draining_; }
  bool draining() const { return draining_; }
  std::string metrics_text() const;
  std::string config_summary_json() const;
  // Loads and applies the project again. Returns false (and keeps the old config) when the
  // new one is invalid; `errors` gets one line per problem.
  bool reload(std::vector<std::string>& errors);
  // The same from another folder (a newly extracted bundle), which becomes the project
  // folder when it loads; a later reload reads it again.
  bool reload_project(const std::filesystem::path& dir, std::vector<std::string>& errors);
  void set_active_bundle(ActiveBundle bundle) { options_.bundle = std::move(bundle); }
  const std::optional<ActiveBundle>& active_bundle() const { return options_.bundle; }
  void drain();
  net::asio::io_context& main_loop() { return main_loop_; }
  const Runtime& runtime() const { return *runtime_; }

  // admin::AdminBackend
  bool admin_ready() const override { return ready(); }
  std::string admin_bundle_json() const override { return options_.bundle ? options_.bundle->json() : ""; }
  std::string admin_metrics() const override { return metrics_text(); }
  std::string admin_config_json() const override { return config_summary_json(); }
  bool admin_reload(std::vector<std::string>& errors) override { return reload(errors); }
  void admin_revoke(const std::string& jti) override;
  std::string admin_token() const override { return runtime_->config->gateway.admin_token; }
  std::string admin_throttle_tiers() const override;
  std::string admin_throttle_counter(std::string_view key) const override;
  std::string admin_blocks() const override;
  uint64_t admin_add_block(std::string_view type, std::string_view value, std::string& error) override;
  bool admin_remove_block(uint64_t id) override;

 private:
  ServerOptions options_;
  net::asio::io_context main_loop_{1};
  std::shared_ptr<const Runtime> runtime_;
  std::vector<std::unique_ptr<Worker>> workers_;
  MetricsRegistry registry_;
  // Keeps backend host names resolved (dns:), across reloads; its settings are read at start.
  std::unique_ptr<upstream::HostRefresher> hosts_;
  std::shared_ptr<AccessLogWriter> access_log_;
  std::shared_ptr<filters::JwksFetchers> jwks_;  // for the runtime in force
  std::vector<std::string> revoked_;             // jtis revoked through the admin API
  // Key managers' revocation lists (revocations_url), kept across reloads.
  std::shared_ptr<filters::RevocationPollers> revocations_;
  void publish_revocations(const std::string& iss, std::shared_ptr<const filters::RevokedJtis> jtis);
  ThrottlingState throttling_;
  AnalyticsState analytics_;
  // Basic-auth password checks, off the workers; destroyed before the workers (members are
  // destroyed in reverse order), so no check posts to a loop that is gone.
  std::unique_ptr<filters::PasswordChecker> password_checker_;
  std::unique_ptr<net::asio::steady_timer> sweep_timer_;
  void schedule_sweep();
  uint64_t generation_ = 0;
  uint64_t reload_failures_ = 0;
  bool ready_ = false;
  bool draining_ = false;
};

}  // namespace postern::server
