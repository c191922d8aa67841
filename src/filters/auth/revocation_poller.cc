#include "filters/auth/revocation_poller.h"

#include <algorithm>

#include "core/log.h"

namespace postern::filters {

RevocationPollers::RevocationPollers(net::asio::io_context& main_loop, Publish publish)
    : loop_(&main_loop), publish_(std::move(publish)) {}

std::chrono::milliseconds RevocationPollers::fetch_timeout(std::chrono::milliseconds poll) {
  return std::min(poll, upstream::kControlPlaneTimeout);
}

void RevocationPollers::configure(const config::SecurityConfig& security,
                                  std::shared_ptr<net::asio::ssl::context> tls) {
  std::vector<std::shared_ptr<Poll>> next;
  for (const auto& cfg : security.issuers) {
    if (cfg.revocations_url.empty()) continue;
    auto same = std::find_if(polls_.begin(), polls_.end(), [&](const auto& p) { return p->iss == cfg.issuer; });
    std::shared_ptr<Poll> old;
    if (same != polls_.end()) {
      old = std::move(*same);
      polls_.erase(same);
    }
    next.push_back(adopt(std::move(old), cfg, tls));
  }
  for (auto& gone : polls_) halt(*gone);  // issuers removed, or without a list now
  polls_ = std::move(next);
}

// The loop for `cfg`: the old one when it polls the same URL (its period and TLS context
// updated), else a new one that starts from the old list, if any, until the new URL answers.
std::shared_ptr<RevocationPollers::Poll> RevocationPollers::adopt(std::shared_ptr<Poll> old,
                                                                  const config::JwtIssuer& cfg,
                                                                  std::shared_ptr<net::asio::ssl::context> tls) {
  if (old && old->url == cfg.revocations_url) {
    old->name = cfg.name;
    old->tls = std::move(tls);
    if (old->every != cfg.revocations_poll) {
      old->every = cfg.revocations_poll;
      old->timer.cancel();  // fetch now, then at the new period
    }
    return old;
  }
  auto p = std::make_shared<Poll>(*loop_);
  p->iss = cfg.issuer;
  p->name = cfg.name;
  p->url = cfg.revocations_url;
  p->every = cfg.revocations_poll;
  p->tls = std::move(tls);
  if (old) {
    halt(*old);
    p->feed = old->feed;
    p->feed.forget_etag();  // that ETag belongs to the other URL
  }
  net::asio::co_spawn(
      *loop_, [self = shared_from_this(), p]() -> net::awaitable<void> { co_await self->run(p); }, net::asio::detached);
  return p;
}

std::vector<std::pair<std::string, std::shared_ptr<const RevokedJtis>>> RevocationPollers::lists() const {
  std::vector<std::pair<std::string, std::shared_ptr<const RevokedJtis>>> out;
  for (const auto& p : polls_) {
    if (auto jtis = p->feed.jtis()) out.emplace_back(p->iss, std::move(jtis));
  }
  return out;
}

std::vector<RevocationListStats> RevocationPollers::stats() const {
  std::vector<RevocationListStats> out;
  for (const auto& p : polls_) out.push_back({p->name, p->feed.counts(), p->feed.size()});
  return out;
}

void RevocationPollers::stop() {
  for (auto& p : polls_) halt(*p);
}

void RevocationPollers::halt(Poll& p) {
  p.stopped = true;
  p.timer.cancel();
}

// Fetches start every `every` (not `every` after the last one ended) and a fetch never
// outlasts the period, so a revocation made at the key manager is in every worker within
// one period plus one fetch timeout (docs/security.md).
net::awaitable<void> RevocationPollers::run(std::shared_ptr<Poll> p) {
  while (!p->stopped) {
    const auto started = std::chrono::steady_clock::now();
    auto fetched = co_await upstream::http_get(p->url, p->tls, fetch_timeout(p->every), kMaxListBytes, p->feed.etag());
    if (p->stopped) break;
    handle(*p, fetched);
    p->timer.expires_at(started + p->every);
    net::error_code ec;
    co_await p->timer.async_wait(net::with_ec(ec));
  }
}

void RevocationPollers::handle(Poll& p, const upstream::HttpGetResult& fetched) {
  const uint64_t failed_before = p.feed.failures_in_a_row();
  const auto outcome = p.feed.apply(fetched);
  if (outcome == RevocationFeed::Outcome::kFailed) {
    if (p.feed.failures_in_a_row() == 1) {
      log::warn(
          "issuer '{}': cannot use the revocation list from {}: {}; the last good list ({} token ids) stays in "
          "force, retrying every {} ms (not logged again until a fetch works)",
          p.name, p.url, p.feed.last_error(), p.feed.size(), p.every.count());
    }
    return;
  }
  if (failed_before > 0) {
    log::info("issuer '{}': the revocation list from {} works again after {} failed fetches", p.name, p.url,
              failed_before);
  }
  if (outcome == RevocationFeed::Outcome::kUpdated) {
    log::info("issuer '{}': revocation list version {} from {}: {} token ids refused", p.name, p.feed.version(), p.url,
              p.feed.size());
    publish_(p.iss, p.feed.jtis());
  }
}

}  // namespace postern::filters
