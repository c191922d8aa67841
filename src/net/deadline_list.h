#pragma once
// Coarse per-worker timeouts. Arming an Asio timer per request costs timer-queue work and
// often a timerfd syscall; a gateway's timeouts are seconds long, so each connection just
// records a deadline and a periodic sweep (every kSweepInterval) fires the expired ones.
// Accuracy: a timeout fires between its deadline and deadline + kSweepInterval.
#include <chrono>

#include "core/clock.h"

namespace postern::net {

inline constexpr std::chrono::milliseconds kSweepInterval{100};

// Embedded in anything with a timeout (a connection). Not thread-safe: one worker owns it.
class DeadlineEntry {
 public:
  virtual ~DeadlineEntry() = default;
  // Called by the sweep once the deadline has passed; the entry is disarmed first.
  virtual void on_deadline() = 0;

  void arm(SteadyTime when) { deadline_ = when; }
  void disarm() { deadline_ = SteadyTime::max(); }
  bool armed() const { return deadline_ != SteadyTime::max(); }

 private:
  friend class DeadlineList;
  SteadyTime deadline_ = SteadyTime::max();
  DeadlineEntry* prev_ = nullptr;
  DeadlineEntry* next_ = nullptr;
  bool linked_ = false;
};

// Intrusive list of all entries of one worker.
class DeadlineList {
 public:
  void add(DeadlineEntry& e);
  void remove(DeadlineEntry& e);
  // Fires every entry whose deadline is <= now. Entries may remove themselves (or others
  // already fired) during the callback.
  void sweep(SteadyTime now);
  size_t size() const { return size_; }
  // Calls fn(entry) for every entry; fn may remove the entry it is given.
  template <class Fn>
  void for_each(Fn&& fn) {
    for (DeadlineEntry* e = head_; e;) {
      DeadlineEntry* next = e->next_;
      fn(*e);
      e = next;
    }
  }

 private:
  DeadlineEntry* head_ = nullptr;
  DeadlineEntry* cursor_ = nullptr;  // next entry of an ongoing sweep
  size_t size_ = 0;
};

}  // namespace postern::net
