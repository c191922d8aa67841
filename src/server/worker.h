#pragma once
// A worker: one thread, one event loop, its own listening sockets (SO_REUSEPORT), its own
// upstream pools, metrics and access-log buffer (design.md "Threading"). Everything here is
// touched only by the worker's thread, except what is marked otherwise.
#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "analytics/event_buffer.h"
#include "filters/worker_slots.h"
#include "net/asio.h"
#include "net/deadline_list.h"
#include "server/access_log.h"
#include "server/in_flight.h"
#include "server/metrics.h"
#include "server/runtime.h"
#include "throttle/block_list.h"
#include "upstream/buffer_pool.h"
#include "upstream/connection_pool.h"
#include "upstream/host_cache.h"

namespace postern::server {

class ProxySession;

class Worker {
 public:
  Worker(unsigned id, net::asio::io_context& main_loop, std::shared_ptr<AccessLogWriter> access_log);
  ~Worker();

  // Main thread, before start(): opens this worker's listening sockets. `bound` holds the
  // addresses the first worker actually bound (so port 0 resolves to one port for all
  // workers); empty for the first worker, which fills it. `inherited` has one entry per
  // listener: a socket-activated socket this worker accepts on through its own duplicate,
  // or -1 to bind one (server/inherited_listeners.h).
  bool open_listeners(const Runtime& runtime, const std::vector<int>& inherited,
                      std::vector<net::tcp::endpoint>& bound, std::string& error);
  // Main thread: starts the thread with `runtime` in force.
  void start(std::shared_ptr<const Runtime> runtime);
  // Main thread: publishes a new runtime; requests already running keep theirs.
  void publish(std::shared_ptr<const Runtime> runtime);
  // Main thread: stop accepting, close idle connections, let in-flight requests finish for
  // up to `timeout`, then close the rest; the thread exits when no connection is left.
  void begin_drain(Millis timeout);
  void join();

  // --- worker thread only ---
  net::asio::io_context& loop() { return loop_; }
  const std::shared_ptr<const Runtime>& runtime() const { return runtime_; }
  upstream::ConnectionPool& pool() { return pool_; }
  upstream::HostCache& hosts() { return hosts_; }
  net::DeadlineList& sessions() { return sessions_; }
  WorkerMetrics& metrics() { return metrics_; }
  AccessLogBuffer& access_log() { return access_log_; }
  analytics::EventBuffer& analytics() { return analytics_; }
  // This worker's filter state (per-worker slots) for the runtime in force.
  const std::shared_ptr<filters::WorkerSlots>& slots() const { return slots_; }
  bool draining() const { return draining_; }
  unsigned id() const { return id_; }
  // A fresh request id: 32 hex digits, unique per process (worker id, random, counter).
  void make_request_id(std::string& out);
  // Random bits for trace and span ids (not for secrets).
  uint64_t random64() {
    // splitmix64: fast, and every output differs for a process's life.
    uint64_t z = (random_state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Buffers for upstream responses, recycled so a request does not allocate.
  upstream::BufferPool& upstream_buffers() { return upstream_buffers_; }
  // What client connections hold while a request is in flight (in_flight.h).
  InFlightPool& in_flight_pool() { return in_flight_pool_; }
  void session_closed();
  uint64_t next_round_robin() { return round_robin_++; }
  // The blocking conditions in force; picks up a new list when the admin API changed it.
  const throttle::BlockList* block_list() {
    if (blocker_ == nullptr) return nullptr;
    uint64_t v = blocker_->version();
    if (v != block_version_) {
      block_list_ = blocker_->current();
      block_version_ = v;
    }
    return block_list_.get();
  }
  // Main thread, before start().
  void set_blocker(const throttle::Blocker* blocker) { blocker_ = blocker; }
  // Main thread, before start(): this worker's analytics buffer is flushed every
  // `flush_interval` (0: every event commits itself); configure it through analytics().
  void set_analytics_flush(Millis flush_interval);

  // --- any thread ---
  const WorkerMetrics& metrics_view() const { return metrics_; }
  const analytics::EventBuffer& analytics_view() const { return analytics_; }
  int64_t active_connections() const { return active_.load(std::memory_order_relaxed); }
  int64_t idle_upstream() const { return idle_upstream_.load(std::memory_order_relaxed); }

  static constexpr size_t kUpstreamBufferSize = 64 * 1024;

 private:
  net::awaitable<void> accept_loop(size_t listener_index);
  void adopt(std::shared_ptr<const Runtime> runtime);
  net::awaitable<void> housekeeping();
  net::awaitable<void> flush_analytics();
  void maybe_finish_drain();

  unsigned id_;
  // Only this worker's thread touches its sockets and timers, so the reactor needs no
  // per-operation locking; the scheduler keeps its lock for posts from the main thread.
  net::asio::io_context loop_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  net::asio::io_context& main_loop_;
  std::thread thread_;
  std::shared_ptr<const Runtime> runtime_;
  std::shared_ptr<filters::WorkerSlots> slots_;  // for runtime_
  std::vector<net::tcp::acceptor> acceptors_;
  upstream::ConnectionPool pool_;
  upstream::HostCache hosts_{&pool_};  // backend host names' record sets, as this worker saw them
  net::DeadlineList sessions_;
  WorkerMetrics metrics_;
  AccessLogBuffer access_log_;
  analytics::EventBuffer analytics_;
  Millis analytics_flush_interval_{0};
  net::asio::steady_timer analytics_timer_{loop_};
  uint64_t random_state_ = 0;
  bool draining_ = false;
  bool stopped_ = false;
  SteadyTime drain_deadline_{};
  net::asio::steady_timer housekeeping_timer_;
  upstream::BufferPool upstream_buffers_{kUpstreamBufferSize, 64};
  InFlightPool in_flight_pool_;
  std::atomic<int64_t> active_{0};
  std::atomic<int64_t> idle_upstream_{0};
  uint64_t request_counter_ = 0;
  uint64_t round_robin_ = 0;
  uint64_t request_id_salt_ = 0;
  const throttle::Blocker* blocker_ = nullptr;
  std::shared_ptr<const throttle::BlockList> block_list_;
  uint64_t block_version_ = 0;
};

}  // namespace postern::server
