#pragma once
// The node's throttling counters: one count per key per fixed window, shared by every
// worker so a node's limit is exact however requests spread over workers.
//
// Shared state, explicitly: 64 shards, each a hash map behind its own mutex. A check is one
// hash lookup and a few additions under the shard's lock (tens of nanoseconds), so two
// workers rarely meet on one shard; a lock-free table was not worth its complexity here
// (docs/architecture.md). Memory is bounded by `memory_bytes`: keys whose window has ended
// are reclaimed by sweep(), and past the bound an insert evicts the least recently used key
// of a small random sample (counted, since an evicted live key restarts its count).
//
// Distributed mode (Redis): each key also remembers the fleet's total for its window as of
// the last synchronisation and what this node admitted since. A request is admitted when
// fleet + in flight + unsynced < limit, and a node never holds more than `cap` unconfirmed
// admissions per key, which bounds the fleet's overshoot (docs/throttling.md).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace postern::throttle {

struct Quota {
  uint64_t limit = 0;  // per window
  int64_t unit_ms = 60'000;
  bool fail_closed = false;  // distributed, Redis down: refuse instead of counting locally
};

struct Verdict {
  enum class Kind : uint8_t {
    kAllowed,
    kLimited,      // the quota is used up (or, distributed, too much is unconfirmed)
    kUnavailable,  // distributed, Redis down, fail-closed quota
  };
  Kind kind = Kind::kAllowed;
  uint64_t limit = 0;
  uint64_t remaining = 0;  // after this request
  int64_t reset_ms = 0;    // until the window ends
};

// What one key holds now, for the admin API.
struct CounterView {
  int64_t window_start_ms = 0;
  int64_t unit_ms = 0;
  uint64_t local = 0;     // admitted by this node in the window
  uint64_t fleet = 0;     // the fleet's total at the last sync (distributed)
  int64_t unsynced = 0;   // admitted here, not yet sent
  int64_t in_flight = 0;  // sent, not yet acknowledged
};

// One key's change to push to Redis.
struct Delta {
  std::string key;
  int64_t window_start_ms = 0;
  int64_t unit_ms = 0;
  int64_t amount = 0;
};

struct StoreStats {
  uint64_t keys = 0;
  uint64_t bytes = 0;           // accounted memory (see entry_bytes)
  uint64_t evictions = 0;       // keys dropped to stay within the bound
  uint64_t live_evictions = 0;  // of which their window was still running
  uint64_t reclaimed = 0;       // idle keys dropped by sweep()
};

class CounterStore {
 public:
  struct Options {
    uint64_t memory_bytes = 64ull << 20;
    bool distributed = false;
    uint64_t batch = 100;  // most unconfirmed admissions per key per node
  };
  explicit CounterStore(Options options);
  ~CounterStore();

  // Admits `cost` on `key` when the window's count plus `cost` stays within the limit, and
  // counts it; a refused request is not counted. `cost` 0 asks "is anything left?".
  Verdict acquire(std::string_view key, const Quota& q, uint64_t cost, int64_t now_ms);
  // Takes back an acquire() of the same window (a later level refused the request).
  void release(std::string_view key, const Quota& q, uint64_t cost, int64_t now_ms);
  // Counts `amount` without a check (bytes, once a response is done).
  void charge(std::string_view key, const Quota& q, uint64_t amount, int64_t now_ms);
  std::optional<CounterView> inspect(std::string_view key) const;

  // --- synchronisation (the Redis thread) ---
  // Moves every key's unsynced count to in flight and returns it.
  void take_deltas(std::vector<Delta>& out);
  // Redis answered `fleet_total` for a delta taken earlier.
  void confirm(const Delta& d, uint64_t fleet_total);
  // Redis is (un)reachable. Going down forgets what was unsynced and in flight: those
  // requests were admitted and are not replayed later (docs/throttling.md).
  void set_remote_up(bool up);
  bool remote_up() const { return remote_up_.load(std::memory_order_relaxed); }
  // The synchronising thread sleeps here until `timeout` passes, a key has used half of its
  // unconfirmed allowance (a worker asks for a sync), or `stop` is set and wake() called.
  // Returns whether a sync was asked for (and clears the request).
  bool wait_for_sync(std::chrono::milliseconds timeout, const std::atomic<bool>& stop);
  void wake();  // any thread
  bool sync_requested() const { return sync_requested_.load(std::memory_order_acquire); }

  // Drops keys whose window has ended and that have nothing to sync. Visits `shards`
  // shards per call, round robin (so the caller can spread the work).
  void sweep(int64_t now_ms, size_t shards = kShards);
  StoreStats stats() const;
  uint64_t memory_bound() const { return options_.memory_bytes; }
  bool distributed() const { return options_.distributed; }
  uint64_t batch() const { return options_.batch; }

  // Accounted bytes of one key (node, key text, bucket slot, allocator overhead).
  static uint64_t entry_bytes(std::string_view key);
  static constexpr size_t kShards = 64;

 private:
  struct Entry {
    int64_t window_start_ms = 0;
    int64_t unit_ms = 0;
    int64_t last_used_ms = 0;
    uint64_t local = 0;
    uint64_t fleet = 0;
    int64_t unsynced = 0;
    int64_t in_flight = 0;
    bool dirty = false;  // listed in Shard::dirty
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> map;
    std::vector<std::string> dirty;  // keys with unsynced counts
    std::vector<Delta> orphans;      // unsynced counts of windows that have ended
    uint64_t bytes = 0;
    uint64_t evictions = 0;
    uint64_t live_evictions = 0;
    uint64_t reclaimed = 0;
    uint64_t rng = 0x9e3779b97f4a7c15ull;
  };

  Shard& shard_for(std::string_view key, size_t& hash) const;
  // The entry for key in the current window (rolled over / created as needed).
  Entry& entry_locked(Shard& s, std::string_view key, const Quota& q, int64_t now_ms);
  void roll_locked(Shard& s, std::string_view key, Entry& e, int64_t start, int64_t unit_ms);
  void evict_locked(Shard& s, std::string_view keep, int64_t now_ms);
  uint64_t cap_for(uint64_t limit) const;

  Options options_;
  uint64_t shard_bound_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<bool> remote_up_{true};
  std::atomic<size_t> sweep_next_{0};
  // Workers ask for a sync by setting the flag; only the transition takes the mutex (to
  // notify without a lost wake-up), so a hot key costs one atomic exchange per request.
  std::atomic<bool> sync_requested_{false};
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
};

}  // namespace postern::throttle
