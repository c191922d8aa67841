#pragma once
// The control-plane loop (main thread): fetches the bundle URL every `poll` with a
// conditional GET, judges the answer (BundleFeed) and offers a verified newer bundle to
// `apply`, which extracts it and reloads the server exactly as SIGHUP does (in-flight
// requests finish on the configuration they started with). A failing control plane changes
// nothing: the active bundle stays, failures are counted and logged once per streak.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "controlplane/bundle_feed.h"
#include "controlplane/cp_config.h"
#include "core/status.h"
#include "net/asio.h"

namespace postern::controlplane {

class BundlePoller : public std::enable_shared_from_this<BundlePoller> {
 public:
  // Puts a verified newer bundle (`bytes` is the whole file) in force; an error keeps the
  // active one.
  using Apply = std::function<Status(const bundle::VerifiedBundle& b, const std::string& bytes)>;

  BundlePoller(net::asio::io_context& loop, ControlPlaneConfig cfg, std::shared_ptr<net::asio::ssl::context> tls,
               BundleFeed feed, Apply apply);

  void start();  // the first fetch at once, then every `poll`
  void stop();

  // postern_control_plane_polls_total{result} and the time of the last answer.
  void append_metrics(std::string& out) const;

  // One GET of the bundle URL (token and ETag included); shared with the start-up wait.
  static net::awaitable<upstream::HttpGetResult> fetch(const ControlPlaneConfig& cfg,
                                                       std::shared_ptr<net::asio::ssl::context> tls, std::string etag);

 private:
  net::awaitable<void> run();
  void handle(const upstream::HttpGetResult& fetched);
  void offer(const bundle::VerifiedBundle& b, const std::string& bytes);

  ControlPlaneConfig cfg_;
  std::shared_ptr<net::asio::ssl::context> tls_;
  BundleFeed feed_;
  Apply apply_;
  net::asio::steady_timer timer_;
  bool stopped_ = false;
  uint64_t failures_in_a_row_ = 0;
  int64_t last_answer_unix_ = 0;  // seconds; 0 = never
};

}  // namespace postern::controlplane
