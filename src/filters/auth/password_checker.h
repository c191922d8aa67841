#pragma once
// Verifies Basic passwords on threads of their own. A check is scrypt (~50 ms of CPU by
// design, docs/security.md), which on a worker would stall every other connection of that
// worker; here the request waits as a coroutine and the worker goes on. A bounded queue
// keeps a password-guessing flood from piling up work: past it, callers get 503.
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "filters/auth/password_check.h"
#include "net/asio.h"

namespace postern::filters {

class PasswordChecker {
 public:
  PasswordChecker(unsigned threads, size_t max_pending);
  ~PasswordChecker();  // drops queued checks, finishes running ones, joins

  struct Outcome {
    bool ran = false;  // false: the queue was full (answer 503)
    bool matched = false;
  };
  // Verifies `check` on a checking thread and resumes on `loop` (the caller's worker).
  // Cancellable (the client went away): the wait ends at once, and a check not yet begun
  // is skipped.
  net::awaitable<Outcome> check(net::asio::io_context& loop, std::shared_ptr<const PasswordCheck> check);

 private:
  void run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  size_t max_pending_;
  std::vector<std::thread> threads_;
};

}  // namespace postern::filters
