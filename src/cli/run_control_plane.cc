// `postern run gateway.yaml`, a file with a `control_plane:` map: serve the bundles a
// control plane publishes (docs/deployment.md "Control plane").
//
// At start: the last good bundle from state_dir when it verifies, else the control plane's
// current one (waiting for it, as a not-yet-ready gateway, until it comes). Then the poller
// offers every newer verified bundle to apply_bundle, which reloads the server from it.
#include <csignal>
#include <cstdio>
#include <memory>

#include "cli/bundle_command.h"
#include "controlplane/bundle_poller.h"
#include "controlplane/extracted_bundles.h"
#include "controlplane/last_good_bundle.h"
#include "core/log.h"
#include "net/tls_context.h"
#include "server/server.h"

namespace postern::cli {

namespace fs = std::filesystem;
using controlplane::BundleFeed;

namespace {

int fail(const std::string& file, const std::string& message) {
  std::fprintf(stderr, "postern run: %s: %s\n", file.c_str(), message.c_str());
  return 1;
}

// Fetches until the control plane gives a bundle that verifies (or a signal ends the
// wait: false). `bytes` gets the whole file.
bool wait_for_first_bundle(const controlplane::ControlPlaneConfig& cfg, std::shared_ptr<net::asio::ssl::context> tls,
                           BundleFeed& feed, bundle::VerifiedBundle& out, std::string& bytes) {
  net::asio::io_context loop{1};
  net::asio::signal_set signals(loop, SIGTERM, SIGINT);
  bool got = false;
  signals.async_wait([&](const net::error_code& ec, int) {
    if (!ec) loop.stop();
  });
  net::asio::co_spawn(
      loop,
      [&]() -> net::awaitable<void> {
        net::asio::steady_timer timer(loop);
        for (uint64_t attempt = 1;; ++attempt) {
          auto fetched = co_await controlplane::BundlePoller::fetch(cfg, tls, feed.etag());
          auto outcome = feed.judge(fetched, out);
          if (outcome == BundleFeed::Outcome::kNewer) {
            bytes = std::move(fetched.body);
            got = true;
            loop.stop();
            co_return;
          }
          if (attempt == 1 || attempt % 10 == 0) {
            log::warn("control plane {}: no bundle to serve yet ({}); no bundle is kept in {}; retrying every {} ms",
                      cfg.url, feed.last_error(), cfg.state_dir.string(), cfg.poll.count());
          }
          timer.expires_after(cfg.poll);
          net::error_code ec;
          co_await timer.async_wait(net::with_ec(ec));
        }
      },
      net::asio::detached);
  loop.run();
  return got;
}

server::ActiveBundle active_of(const bundle::VerifiedBundle& b, const std::string& url) {
  return server::ActiveBundle{b.sequence, b.digest, b.signer_key_id, url};
}

// Puts a verified newer bundle in force: extract, reload, keep it on disk.
Status apply_bundle(server::Server& server, controlplane::ExtractedBundles& folders,
                    const controlplane::ControlPlaneConfig& cfg, const bundle::VerifiedBundle& b,
                    const std::string& bytes) {
  if (server.draining()) return Status::error("the gateway is draining");
  fs::path project;
  std::vector<std::string> linked;
  if (Status s = folders.extract(b, cfg.secrets_dir, project, linked); !s) return s;
  std::vector<std::string> errors;
  if (!server.reload_project(project, errors)) {
    folders.discard(project);
    std::string why = "its project does not load";
    for (const auto& e : errors) why += "; " + e;
    return Status::error(why);
  }
  folders.in_force(project);
  server.set_active_bundle(active_of(b, cfg.url));
  if (Status s = controlplane::LastGoodBundle(cfg.state_dir).save(bytes); !s)
    log::error("control plane: the bundle in force is not kept for an offline restart: {}", s.message());
  return {};
}

}  // namespace

int run_control_plane_server(const std::string& file, unsigned workers) {
  controlplane::ControlPlaneConfig cfg;
  std::vector<config::Diagnostic> errors;
  if (!controlplane::load_control_plane_config(file, cfg, errors)) {
    for (const auto& d : errors) std::fprintf(stderr, "%s\n", d.format().c_str());
    return fail(file, "the control-plane file is invalid; not starting");
  }
  std::vector<bundle::BundleKey> keys;
  if (Status s = bundle::load_trusted_keys(cfg.trust, keys); !s) return fail(file, s.message());
  std::string error;
  auto tls = net::make_client_tls(cfg.ca_file, error);
  if (!tls) return fail(file, error);

  BundleFeed feed(keys);
  bundle::VerifiedBundle active;
  std::string fetched_bytes;  // the start-up bundle when it came from the network
  controlplane::LastGoodBundle kept(cfg.state_dir);
  Status from_disk = kept.exists() ? kept.load(keys, active) : Status::error("none kept yet");
  if (from_disk) {
    log::info("control plane: starting from the last good bundle {} (sequence {}, digest {})", kept.file().string(),
              active.sequence, active.digest);
  } else {
    if (kept.exists()) log::error("control plane: not using {}", from_disk.message());
    if (!wait_for_first_bundle(cfg, tls, feed, active, fetched_bytes)) return 0;  // stopped by a signal
  }
  feed.set_active(active.sequence, active.digest);

  controlplane::ExtractedBundles folders;
  fs::path project;
  std::vector<std::string> linked;
  Status s = folders.open();
  if (s) s = folders.extract(active, cfg.secrets_dir, project, linked);
  if (!s) return fail(file, s.message());
  folders.in_force(project);

  std::shared_ptr<controlplane::BundlePoller> poller;
  server::ServerOptions options;
  options.project_dir = project;
  options.workers_override = workers;
  options.bundle = active_of(active, cfg.url);
  options.extra_metrics = [&poller](std::string& out) {
    if (poller) poller->append_metrics(out);
  };
  auto server = std::make_unique<server::Server>(options);
  poller = std::make_shared<controlplane::BundlePoller>(server->main_loop(), cfg, tls, std::move(feed),
                                                        [&](const bundle::VerifiedBundle& b, const std::string& bytes) {
                                                          return apply_bundle(*server, folders, cfg, b, bytes);
                                                        });
  // Runs once the server is ready: the first bundle loaded, so it is the last good one now.
  net::asio::post(server->main_loop(), [&] {
    if (!fetched_bytes.empty()) {
      if (Status saved = kept.save(fetched_bytes); !saved)
        log::error("control plane: the bundle in force is not kept for an offline restart: {}", saved.message());
      fetched_bytes.clear();
    }
    poller->start();
  });
  int rc = server->run();
  poller->stop();
  poller.reset();  // before the loop its coroutine lives on goes
  server.reset();
  return rc;
}

}  // namespace postern::cli
