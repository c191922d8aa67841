#include "filters/auth/jwks_fetcher.h"

#include "core/log.h"
#include "jose/key_set.h"
#include "upstream/http_get.h"

namespace postern::filters {

std::shared_ptr<JwksFetchers> JwksFetchers::start(net::asio::io_context& main_loop,
                                                  const std::shared_ptr<JwtAuthenticator>& auth,
                                                  const config::SecurityConfig& security,
                                                  std::shared_ptr<net::asio::ssl::context> tls) {
  auto f = std::make_shared<JwksFetchers>();
  f->loop_ = &main_loop;
  f->auth_ = auth;
  f->tls_ = std::move(tls);
  for (size_t i = 0; i < auth->issuer_count(); ++i) {
    if (auth->jwks_url(i).empty()) continue;
    Loop l;
    l.issuer = i;
    l.url = auth->jwks_url(i);
    l.refresh = security.issuers[i].jwks_refresh;
    l.timer = std::make_unique<net::asio::steady_timer>(main_loop);
    f->loops_.push_back(std::move(l));
  }
  if (f->loops_.empty()) return f;
  std::weak_ptr<JwksFetchers> weak = f;
  net::asio::io_context* loop = &main_loop;
  // Called from worker threads: hop to the main loop before touching anything.
  auth->set_refetch_hook([weak, loop](size_t issuer) {
    net::asio::post(*loop, [weak, issuer] {
      if (auto self = weak.lock()) self->wake(issuer);
    });
  });
  for (size_t i = 0; i < f->loops_.size(); ++i) {
    net::asio::co_spawn(
        main_loop, [f, i]() -> net::awaitable<void> { co_await f->run(i); }, net::asio::detached);
  }
  return f;
}

void JwksFetchers::stop() {
  stopped_ = true;
  for (auto& l : loops_) l.timer->cancel();
}

void JwksFetchers::wake(size_t issuer) {
  for (auto& l : loops_) {
    if (l.issuer == issuer) {
      l.wake_requested = true;
      l.timer->cancel();
    }
  }
}

net::awaitable<void> JwksFetchers::run(size_t loop_index) {
  auto self = shared_from_this();
  std::chrono::milliseconds backoff{1000};
  for (;;) {
    Loop& l = loops_[loop_index];
    auto auth = auth_.lock();
    if (!auth || stopped_) co_return;
    std::string name = auth->issuer_name(l.issuer);
    auth.reset();  // do not keep an old runtime alive while waiting on the network
    l.wake_requested = false;
    auto res = co_await upstream::http_get(l.url, tls_, upstream::kControlPlaneTimeout);
    auth = auth_.lock();
    if (!auth || stopped_) co_return;
    std::chrono::milliseconds next = l.refresh;
    if (res.ok) {
      auto keys = std::make_shared<jose::KeySet>();
      std::vector<std::string> skipped;
      Status s = jose::KeySet::parse_jwks(res.body, *keys, skipped);
      if (s && !keys->empty()) {
        const SteadyTime now = std::chrono::steady_clock::now();
        if (auto previous = auth->keys(l.issuer)) {
          for (const auto& k : previous->keys()) {
            bool still_published = !k.kid().empty() && keys->find(k.kid()) != nullptr;
            bool already_retired = false;
            for (const auto& [r, until] : l.retired) already_retired = already_retired || r.kid() == k.kid();
            if (!still_published && !k.kid().empty() && !already_retired) l.retired.emplace_back(k, now + l.refresh);
          }
        }
        std::erase_if(l.retired,
                      [&](const auto& r) { return r.second <= now || keys->find(r.first.kid()) != nullptr; });
        for (const auto& [k, until] : l.retired) keys->add(k);
        auth->set_keys(l.issuer, keys);
        log::info("issuer '{}': {} keys from {}{}", name, keys->keys().size(), l.url,
                  skipped.empty() ? "" : " (" + std::to_string(skipped.size()) + " skipped: " + skipped.front() + ")");
        backoff = std::chrono::milliseconds(1000);
      } else {
        log::warn("issuer '{}': JWKS from {} unusable ({}); keeping the last good keys", name, l.url,
                  s ? "no usable key" : s.message());
        next = std::min(backoff, l.refresh);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(60'000));
      }
    } else {
      log::warn("issuer '{}': cannot fetch JWKS from {}: {}; keeping the last good keys, retrying in {} ms", name,
                l.url, res.error, std::min(backoff, l.refresh).count());
      next = std::min(backoff, l.refresh);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(60'000));
    }
    auth.reset();
    if (l.wake_requested) continue;  // an unknown kid arrived while we were fetching
    l.timer->expires_after(next);
    net::error_code ec;
    co_await l.timer->async_wait(net::with_ec(ec));
  }
}

}  // namespace postern::filters
