#include "server/worker.h"

#include <fmt/format.h>

#include "core/log.h"
#include "core/strings.h"
#include "net/listener_socket.h"
#include "server/proxy_session.h"

namespace postern::server {

Worker::Worker(unsigned id, net::asio::io_context& main_loop, std::shared_ptr<AccessLogWriter> access_log)
    : id_(id),
      main_loop_(main_loop),
      pool_(loop_, 64),
      access_log_(main_loop, std::move(access_log)),
      housekeeping_timer_(loop_) {
  std::random_device rd;
  request_id_salt_ = (uint64_t(rd()) << 32) ^ rd();
  random_state_ = (uint64_t(rd()) << 32) ^ rd();
}

void Worker::set_analytics_flush(Millis flush_interval) {
  analytics_.bind_loop(loop_);
  analytics_flush_interval_ = flush_interval;
}

Worker::~Worker() { join(); }

bool Worker::open_listeners(const Runtime& runtime, const std::vector<int>& inherited,
                            std::vector<net::tcp::endpoint>& bound, std::string& error) {
  const bool first = bound.empty();
  const auto& listeners = runtime.config->gateway.listeners;
  for (size_t i = 0; i < listeners.size(); ++i) {
    const auto& l = listeners[i];
    net::tcp::acceptor acceptor(loop_);
    if (inherited[i] >= 0) {
      acceptor = net::adopt_listener(loop_, inherited[i], error);
    } else if (first) {
      acceptor = net::open_listener_for(loop_, l.address, error);
    } else {
      acceptor = net::open_listener(loop_, bound[i].data(), socklen_t(bound[i].size()), true, error);
    }
    if (!acceptor.is_open()) {
      error = "listener '" + l.name + "' (" + l.address_text + "): " + error;
      return false;
    }
    if (first) {
      net::error_code ec;
      bound.push_back(acceptor.local_endpoint(ec));
    }
    acceptors_.push_back(std::move(acceptor));
  }
  return true;
}

void Worker::adopt(std::shared_ptr<const Runtime> runtime) {
  runtime_ = std::move(runtime);
  // Per-worker filter state starts afresh with each config generation (a request in
  // progress keeps the slots of the runtime it started with).
  slots_ = std::make_shared<filters::WorkerSlots>(runtime_->filters->slots, filters::SlotEnv{&loop_, id_});
  pool_.set_client_tls(runtime_->client_tls);
  pool_.set_max_idle_per_key(runtime_->config->gateway.limits.max_idle_upstream_per_endpoint);
}

void Worker::start(std::shared_ptr<const Runtime> runtime) {
  adopt(std::move(runtime));
  for (size_t i = 0; i < acceptors_.size(); ++i) {
    net::asio::co_spawn(loop_, accept_loop(i), net::asio::detached);
  }
  net::asio::co_spawn(loop_, housekeeping(), net::asio::detached);
  if (analytics_.enabled() && !analytics_.every_event()) {
    net::asio::co_spawn(loop_, flush_analytics(), net::asio::detached);
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), fmt::format("postern-w{}", id_).c_str());
    loop_.run();
  });
}

void Worker::publish(std::shared_ptr<const Runtime> runtime) {
  net::asio::post(loop_, [this, rt = std::move(runtime)]() mutable { adopt(std::move(rt)); });
}

void Worker::begin_drain(Millis timeout) {
  net::asio::post(loop_, [this, timeout] {
    draining_ = true;
    drain_deadline_ = std::chrono::steady_clock::now() + timeout;
    for (auto& a : acceptors_) {
      net::error_code ec;
      a.close(ec);
    }
    pool_.close_all();
    sessions_.for_each([](net::DeadlineEntry& e) { static_cast<ProxySession&>(e).on_drain(); });
    maybe_finish_drain();
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::session_closed() {
  active_.fetch_sub(1, std::memory_order_relaxed);
  metrics_.connections_closed.add();
  if (draining_) {
    // Destructors run inside the session's coroutine: finish the drain check afterwards.
    net::asio::post(loop_, [this] { maybe_finish_drain(); });
  }
}

void Worker::maybe_finish_drain() {
  if (!draining_ || stopped_ || sessions_.size() > 0) return;
  stopped_ = true;
  access_log_.flush();
  analytics_.flush();
  pool_.close_all();
  housekeeping_timer_.cancel();
  analytics_timer_.cancel();
  loop_.stop();
}

void Worker::make_request_id(std::string& out) {
  uint64_t n = ++request_counter_;
  uint64_t hi = request_id_salt_ ^ (uint64_t(id_) << 56);
  out.clear();
  append_hex(out, hi, 16);
  append_hex(out, n * 0x9e3779b97f4a7c15ull ^ request_id_salt_, 16);
}

net::awaitable<void> Worker::accept_loop(size_t listener_index) {
  auto& acceptor = acceptors_[listener_index];
  for (;;) {
    net::error_code ec;
    net::tcp::socket socket = co_await acceptor.async_accept(net::with_ec(ec));
    if (ec) {
      if (draining_ || ec == net::asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // EMFILE and friends: back off instead of spinning.
      log::warn("worker {}: accept failed: {}", id_, ec.message());
      net::asio::steady_timer t(loop_, std::chrono::milliseconds(50));
      co_await t.async_wait(net::with_ec(ec));
      continue;
    }
    socket.set_option(net::tcp::no_delay(true), ec);
    active_.fetch_add(1, std::memory_order_relaxed);
    metrics_.connections_accepted.add();
    const auto& tls = runtime_->listener_tls[listener_index];
    std::unique_ptr<ProxySession> session;
    if (tls) {
      session = std::make_unique<ProxySession>(*this, net::Transport(std::move(socket), *tls), listener_index);
    } else {
      session = std::make_unique<ProxySession>(*this, net::Transport(std::move(socket)), listener_index);
    }
    ProxySession::spawn(std::move(session));
  }
}

net::awaitable<void> Worker::flush_analytics() {
  // Events wait in the worker's buffer at most one interval (docs/analytics.md).
  for (;;) {
    analytics_timer_.expires_after(analytics_flush_interval_);
    net::error_code ec;
    co_await analytics_timer_.async_wait(net::with_ec(ec));
    if (stopped_) co_return;
    analytics_.flush();
  }
}

net::awaitable<void> Worker::housekeeping() {
  SteadyTime last_evict = std::chrono::steady_clock::now();
  for (;;) {
    housekeeping_timer_.expires_after(net::kSweepInterval);
    net::error_code ec;
    co_await housekeeping_timer_.async_wait(net::with_ec(ec));
    if (stopped_) co_return;
    SteadyTime now = std::chrono::steady_clock::now();
    sessions_.sweep(now);
    access_log_.flush();
    if (analytics_.every_event()) analytics_.flush();  // batches parked on a full queue
    if (now - last_evict >= std::chrono::seconds(1)) {
      pool_.evict_idle(now, runtime_->config->gateway.limits.upstream_idle_timeout);
      last_evict = now;
    }
    idle_upstream_.store(int64_t(pool_.idle_count()), std::memory_order_relaxed);
    if (draining_ && now >= drain_deadline_) {
      sessions_.for_each([](net::DeadlineEntry& e) { static_cast<ProxySession&>(e).force_close(); });
    }
  }
}

}  // namespace postern::server
