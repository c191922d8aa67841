#pragma once
// Per-worker state of filters (after Envoy's thread-local slots): a filter declares a slot
// when its runtime is built, and each worker makes the slot's object the first time one of
// its requests asks for it. The object then belongs to that worker alone, so it needs no
// lock (verified-token caches, introspection answers, backend-JWT assertions).
//
// Slots live as long as the runtime generation they were declared for: a reload starts
// every cache afresh (docs/architecture.md "Per-worker slots" says why).
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "net/asio.h"

namespace postern::filters {

// What a slot's object is made with.
struct SlotEnv {
  net::asio::io_context* loop = nullptr;  // the worker's event loop
  unsigned worker_id = 0;
};

template <class T>
struct Slot {
  uint32_t index = UINT32_MAX;
  bool valid() const { return index != UINT32_MAX; }
};

// Main thread, while a runtime is built: which slots exist and how each is made.
class SlotRegistry {
 public:
  template <class T>
  Slot<T> declare(std::function<std::unique_ptr<T>(const SlotEnv&)> make) {
    makers_.push_back([make = std::move(make)](const SlotEnv& env) -> std::shared_ptr<void> {
      return std::shared_ptr<T>(make(env));
    });
    return Slot<T>{uint32_t(makers_.size() - 1)};
  }
  size_t size() const { return makers_.size(); }
  std::shared_ptr<void> make(uint32_t index, const SlotEnv& env) const { return makers_[index](env); }

 private:
  std::vector<std::function<std::shared_ptr<void>(const SlotEnv&)>> makers_;
};

// One worker's objects for one runtime's slots. Worker thread only.
class WorkerSlots {
 public:
  WorkerSlots(std::shared_ptr<const SlotRegistry> registry, SlotEnv env)
      : registry_(std::move(registry)), env_(env), objects_(registry_ ? registry_->size() : 0) {}

  template <class T>
  T& get(Slot<T> slot) {
    std::shared_ptr<void>& obj = objects_[slot.index];
    if (!obj) obj = registry_->make(slot.index, env_);
    return *static_cast<T*>(obj.get());
  }
  unsigned worker_id() const { return env_.worker_id; }
  net::asio::io_context& loop() const { return *env_.loop; }

 private:
  std::shared_ptr<const SlotRegistry> registry_;
  SlotEnv env_;
  std::vector<std::shared_ptr<void>> objects_;
};

}  // namespace postern::filters
