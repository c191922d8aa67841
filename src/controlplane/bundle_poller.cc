#include "controlplane/bundle_poller.h"

#include <fmt/format.h>

#include "bundle/limits.h"
#include "core/clock.h"
#include "core/log.h"

namespace postern::controlplane {

BundlePoller::BundlePoller(net::asio::io_context& loop, ControlPlaneConfig cfg,
                           std::shared_ptr<net::asio::ssl::context> tls, BundleFeed feed, Apply apply)
    : cfg_(std::move(cfg)), tls_(std::move(tls)), feed_(std::move(feed)), apply_(std::move(apply)), timer_(loop) {}

net::awaitable<upstream::HttpGetResult> BundlePoller::fetch(const ControlPlaneConfig& cfg,
                                                            std::shared_ptr<net::asio::ssl::context> tls,
                                                            std::string etag) {
  std::string headers = "Accept: application/octet-stream\r\n";
  if (!cfg.token.empty()) headers += "Authorization: Bearer " + cfg.token + "\r\n";
  return upstream::http_get_with(cfg.url, std::move(headers), std::move(tls), cfg.timeout, bundle::kMaxBundleBytes,
                                 std::move(etag));
}

void BundlePoller::start() {
  net::asio::co_spawn(
      timer_.get_executor(), [self = shared_from_this()]() -> net::awaitable<void> { co_await self->run(); },
      net::asio::detached);
}

void BundlePoller::stop() {
  stopped_ = true;
  timer_.cancel();
}

// Fetches start every `poll` (not `poll` after the last one ended).
net::awaitable<void> BundlePoller::run() {
  while (!stopped_) {
    const auto started = std::chrono::steady_clock::now();
    auto fetched = co_await fetch(cfg_, tls_, feed_.etag());
    if (stopped_) break;
    handle(fetched);
    timer_.expires_at(started + cfg_.poll);
    net::error_code ec;
    co_await timer_.async_wait(net::with_ec(ec));
  }
}

void BundlePoller::handle(const upstream::HttpGetResult& fetched) {
  bundle::VerifiedBundle candidate;
  const auto outcome = feed_.judge(fetched, candidate);
  if (outcome == BundleFeed::Outcome::kFailed) {
    if (++failures_in_a_row_ == 1) {
      log::warn(
          "control plane {}: {}; the active bundle (sequence {}) stays in force, retrying every {} ms (not "
          "logged again until a fetch works)",
          cfg_.url, feed_.last_error(), feed_.active_sequence(), cfg_.poll.count());
    }
    return;
  }
  if (failures_in_a_row_ > 0)
    log::info("control plane {}: answers again after {} failed fetches", cfg_.url, failures_in_a_row_);
  failures_in_a_row_ = 0;
  last_answer_unix_ = SystemClock::instance().unix_micros() / 1'000'000;
  if (outcome == BundleFeed::Outcome::kRefused) {
    log::error("control plane {}: bundle refused: {}; the active bundle (sequence {}) stays in force", cfg_.url,
               feed_.last_error(), feed_.active_sequence());
  } else if (outcome == BundleFeed::Outcome::kNewer) {
    offer(candidate, fetched.body);
  }
}

void BundlePoller::offer(const bundle::VerifiedBundle& b, const std::string& bytes) {
  const uint64_t was = feed_.active_sequence();
  if (Status s = apply_(b, bytes); !s) {
    feed_.refused(s.message());
    log::error(
        "control plane {}: bundle sequence {} (digest {}) not applied: {}; the active bundle (sequence {}) "
        "stays in force",
        cfg_.url, b.sequence, b.digest, s.message(), was);
    return;
  }
  feed_.applied(b);
  log::info("control plane {}: bundle sequence {} (digest {}) in force, replacing sequence {}", cfg_.url, b.sequence,
            b.digest, was);
}

void BundlePoller::append_metrics(std::string& out) const {
  const PollCounts& c = feed_.counts();
  auto it = std::back_inserter(out);
  out +=
      "# HELP postern_control_plane_polls_total Fetches of the control plane's bundle, by result (applied: a newer "
      "bundle is in force; not_modified / unchanged: the active bundle is current; refused: it did not verify, was "
      "older, or its project did not load; error: no usable answer).\n"
      "# TYPE postern_control_plane_polls_total counter\n";
  for (auto [name, n] :
       {std::pair{"applied", c.applied}, std::pair{"not_modified", c.not_modified}, std::pair{"unchanged", c.unchanged},
        std::pair{"refused", c.refused}, std::pair{"error", c.failed}}) {
    fmt::format_to(it, "postern_control_plane_polls_total{{result=\"{}\"}} {}\n", name, n);
  }
  out +=
      "# HELP postern_control_plane_last_answer_timestamp_seconds When the control plane last answered (a bundle or "
      "304); 0 = not since start.\n"
      "# TYPE postern_control_plane_last_answer_timestamp_seconds gauge\n";
  fmt::format_to(it, "postern_control_plane_last_answer_timestamp_seconds {}\n", last_answer_unix_);
}

}  // namespace postern::controlplane
