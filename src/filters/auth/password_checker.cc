#include "filters/auth/password_checker.h"

#include <atomic>

#include "core/clock.h"
#include "filters/auth/static_credentials.h"

namespace postern::filters {

PasswordChecker::PasswordChecker(unsigned threads, size_t max_pending) : max_pending_(max_pending) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([this] { run(); });
}

PasswordChecker::~PasswordChecker() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    jobs_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void PasswordChecker::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

namespace {
// Shared by the waiting request (on its worker) and the checking thread; the answer is
// handed over on the worker's loop, so `matched`/`done` are only touched there.
struct Waiter {
  explicit Waiter(net::asio::io_context& loop) : timer(loop, postern::SteadyTime::max()) {}
  net::asio::steady_timer timer;
  bool done = false;
  bool matched = false;
  std::atomic<bool> abandoned{false};  // the request is gone: skip the hash if not begun
};
}  // namespace

net::awaitable<PasswordChecker::Outcome> PasswordChecker::check(net::asio::io_context& loop,
                                                                std::shared_ptr<const PasswordCheck> check) {
  auto waiter = std::make_shared<Waiter>(loop);
  {
    std::lock_guard lock(mu_);
    if (jobs_.size() >= max_pending_) co_return Outcome{false, false};
    jobs_.push_back([waiter, check, &loop] {
      if (waiter->abandoned.load(std::memory_order_relaxed)) return;
      bool matched = StaticCredentials::verify(*check);
      net::asio::post(loop, [waiter, matched] {
        waiter->matched = matched;
        waiter->done = true;
        waiter->timer.cancel();
      });
    });
  }
  cv_.notify_one();
  while (!waiter->done) {
    net::error_code ec;
    co_await waiter->timer.async_wait(net::with_ec(ec));
    auto cs = co_await net::asio::this_coro::cancellation_state;
    if (!waiter->done && cs.cancelled() != net::asio::cancellation_type::none) {
      waiter->abandoned = true;  // the client went away: nobody waits for this answer
      co_return Outcome{false, false};
    }
  }
  co_return Outcome{true, waiter->matched};
}

}  // namespace postern::filters
