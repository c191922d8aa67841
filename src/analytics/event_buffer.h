#pragma once
// A worker's side of the event pipeline (docs/analytics.md "Buffering and loss"). Only the
// worker's thread calls it; it never blocks, never takes a lock and never makes a syscall
// except the writer's wake-up when a batch is handed over.
//
// Interval mode: lines collect in a local buffer handed to the writer when it reaches
// 64 KiB or on the worker's flush tick (flush_interval). Past `max_buffer` bytes waiting
// for the writer (a stalled disk), new events are dropped and counted.
// Every-event mode: commit() hands over one event and resumes the request only once the
// writer has written it; nothing is ever dropped (a stalled disk holds responses back).
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/async_result.hpp>

#include "analytics/event.h"
#include "analytics/event_writer.h"

namespace postern::analytics {

class EventBuffer {
 public:
  EventBuffer() = default;  // disabled until configure()
  EventBuffer(const EventBuffer&) = delete;
  EventBuffer& operator=(const EventBuffer&) = delete;
  // Main thread, before the worker starts.
  void configure(EventWriter* writer, Channel* channel, bool every_event, uint64_t max_buffer) {
    writer_ = writer;
    channel_ = channel;
    every_event_ = every_event;
    max_buffer_ = max_buffer;
  }

  bool enabled() const { return writer_ != nullptr; }
  // Main thread, before the worker starts: the loop commit() completions resume on.
  void bind_loop(boost::asio::io_context& loop) {
    if (channel_) channel_->loop = &loop;
  }
  bool every_event() const { return every_event_; }

  // Records an event without waiting (interval mode; in every-event mode, the events of
  // requests that never reached their commit point, e.g. the client went away).
  void append(const Event& e);

  // Every-event mode: completes once the event is in the file.
  template <typename CompletionToken>
  auto async_commit(const Event& e, CompletionToken&& token) {
    Batch* b = make_batch(e);
    return boost::asio::async_initiate<CompletionToken, void()>(
        [this, b](auto handler) {
          // std::function needs a copyable target; the coroutine's handler is move-only.
          auto h = std::make_shared<decltype(handler)>(std::move(handler));
          b->written = [h] { std::move (*h)(); };
          hand_over(b);
        },
        token);
  }

  // Hands the local buffer and anything parked to the writer (the worker's flush tick).
  void flush();
  // Shutdown, after the worker's thread ended and before the writer stops: waits until
  // every parked batch is in the writer's queue.
  void drain_at_exit();

  // --- any thread (metrics) ---
  uint64_t enqueued() const { return enqueued_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  Batch* make_batch(const Event& e);
  void hand_over(Batch* b);
  bool push_parked();
  static void bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  EventWriter* writer_ = nullptr;
  Channel* channel_ = nullptr;
  bool every_event_ = false;
  uint64_t max_buffer_ = 0;
  std::string current_;
  uint32_t current_events_ = 0;
  std::deque<Batch*> parked_;  // the writer's queue was full: kept in order, pushed later
  std::atomic<uint64_t> enqueued_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace postern::analytics
