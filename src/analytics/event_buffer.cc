#include "analytics/event_buffer.h"

#include <chrono>
#include <thread>

#include "analytics/event_json.h"

namespace postern::analytics {

namespace {
constexpr size_t kHandOverBytes = 64 * 1024;
}

Batch* EventBuffer::make_batch(const Event& e) {
  auto* b = new Batch;
  append_event_json(b->data, e);
  b->events = 1;
  bump(enqueued_);
  return b;
}

void EventBuffer::append(const Event& e) {
  if (!writer_) return;
  if (every_event_) {
    hand_over(make_batch(e));  // no one waits for it, but it goes out now, in order
    return;
  }
  uint64_t waiting = channel_->outstanding_bytes.load(std::memory_order_relaxed) + current_.size();
  if (waiting >= max_buffer_) {
    bump(dropped_);  // the writer is stuck (disk): keep the worker's memory bounded
    return;
  }
  append_event_json(current_, e);
  ++current_events_;
  bump(enqueued_);
  if (current_.size() >= kHandOverBytes) flush();
}

void EventBuffer::flush() {
  if (!writer_) return;
  if (!current_.empty()) {
    auto* b = new Batch;
    b->data.swap(current_);
    b->events = current_events_;
    current_events_ = 0;
    current_.reserve(kHandOverBytes + 4096);
    hand_over(b);
  } else if (!parked_.empty() && push_parked()) {
    writer_->wake();
  }
}

void EventBuffer::drain_at_exit() {
  if (!writer_) return;
  flush();
  while (!parked_.empty()) {
    push_parked();
    writer_->wake();
    if (!parked_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void EventBuffer::hand_over(Batch* b) {
  b->channel = channel_;
  b->accounted = b->data.size();
  channel_->outstanding_bytes.fetch_add(b->accounted, std::memory_order_relaxed);
  parked_.push_back(b);
  push_parked();
  writer_->wake();
}

bool EventBuffer::push_parked() {
  bool pushed = false;
  while (!parked_.empty() && channel_->queue.push(parked_.front())) {
    parked_.pop_front();
    pushed = true;
  }
  return pushed;
}

}  // namespace postern::analytics
