#include "throttle/counter_store.h"

#include <algorithm>

#include "throttle/window.h"

namespace postern::throttle {

CounterStore::CounterStore(Options options)
    : options_(options),
      shard_bound_(std::max<uint64_t>(options.memory_bytes / kShards, 4096)),
      shards_(new Shard[kShards]) {
  // A distributed store starts "down": nothing is shared until Redis has answered.
  remote_up_.store(!options.distributed);
  for (size_t i = 0; i < kShards; ++i) shards_[i].rng += i * 0x632be59bd9b4e019ull;
}

CounterStore::~CounterStore() = default;

uint64_t CounterStore::entry_bytes(std::string_view key) {
  // A hash node holds the pair, the next pointer and the cached hash, and malloc rounds it
  // up with a header; the bucket array adds about one pointer per key. Keys longer than the
  // string's inline buffer (15 bytes) own a second allocation.
  uint64_t node = sizeof(std::pair<const std::string, Entry>) + 2 * sizeof(void*);
  node = (node + 8 + 15) / 16 * 16;
  uint64_t text = key.size() > 15 ? (key.size() + 1 + 8 + 15) / 16 * 16 : 0;
  return node + text + sizeof(void*);
}

CounterStore::Shard& CounterStore::shard_for(std::string_view key, size_t& hash) const {
  hash = Hash{}(key);
  return shards_[(hash >> 7) % kShards];
}

uint64_t CounterStore::cap_for(uint64_t limit) const {
  return std::max<uint64_t>(1, std::min<uint64_t>(options_.batch, limit / 10));
}

void CounterStore::roll_locked(Shard& s, std::string_view key, Entry& e, int64_t start, int64_t unit_ms) {
  if (e.unsynced != 0) s.orphans.push_back(Delta{std::string(key), e.window_start_ms, e.unit_ms, e.unsynced});
  e.window_start_ms = start;
  e.unit_ms = unit_ms;
  e.local = 0;
  e.fleet = 0;
  e.unsynced = 0;
  e.in_flight = 0;  // a late answer for the old window is ignored by confirm()
}

void CounterStore::evict_locked(Shard& s, std::string_view keep, int64_t now_ms) {
  auto pinned = [&](const Entry& e) { return e.dirty || e.unsynced != 0 || e.in_flight != 0; };
  auto better = [&](const Entry& a, const Entry& b) {  // is a a better victim than b?
    bool a_over = now_ms >= a.window_start_ms + a.unit_ms;
    bool b_over = now_ms >= b.window_start_ms + b.unit_ms;
    if (a_over != b_over) return a_over;
    return a.last_used_ms < b.last_used_ms;
  };
  auto victim = s.map.end();
  size_t buckets = s.map.bucket_count();
  // Random buckets until a key whose window has ended turns up (free to drop), else the
  // least recently used live key seen in 64 probes.
  for (int probe = 0; probe < 64 && buckets > 0; ++probe) {
    if (victim != s.map.end() && now_ms >= victim->second.window_start_ms + victim->second.unit_ms) break;
    s.rng ^= s.rng << 13;
    s.rng ^= s.rng >> 7;
    s.rng ^= s.rng << 17;
    size_t b = s.rng % buckets;
    for (auto it = s.map.begin(b); it != s.map.end(b); ++it) {
      if (pinned(it->second) || it->first == keep) continue;
      if (victim == s.map.end() || better(it->second, victim->second)) victim = s.map.find(it->first);
    }
  }
  if (victim == s.map.end()) {
    int looked = 0;
    for (auto it = s.map.begin(); it != s.map.end() && looked < 64; ++it, ++looked) {
      if (pinned(it->second) || it->first == keep) continue;
      if (victim == s.map.end() || better(it->second, victim->second)) victim = it;
    }
  }
  if (victim == s.map.end()) return;
  ++s.evictions;
  if (now_ms < victim->second.window_start_ms + victim->second.unit_ms) ++s.live_evictions;
  s.bytes -= entry_bytes(victim->first);
  s.map.erase(victim);
}

CounterStore::Entry& CounterStore::entry_locked(Shard& s, std::string_view key, const Quota& q, int64_t now_ms) {
  int64_t start = window_start(now_ms, q.unit_ms);
  auto it = s.map.find(key);
  if (it == s.map.end()) {
    uint64_t need = entry_bytes(key);
    for (int i = 0; i < 8 && s.bytes + need > shard_bound_ && !s.map.empty(); ++i) evict_locked(s, key, now_ms);
    it = s.map.emplace(std::string(key), Entry{}).first;
    s.bytes += need;
    it->second.window_start_ms = start;
    it->second.unit_ms = q.unit_ms;
  } else if (it->second.window_start_ms != start || it->second.unit_ms != q.unit_ms) {
    roll_locked(s, key, it->second, start, q.unit_ms);
  }
  it->second.last_used_ms = now_ms;
  return it->second;
}

Verdict CounterStore::acquire(std::string_view key, const Quota& q, uint64_t cost, int64_t now_ms) {
  size_t h;
  Shard& s = shard_for(key, h);
  Verdict v;
  v.limit = q.limit;
  bool want_sync = false;
  {
    std::lock_guard lock(s.mu);
    Entry& e = entry_locked(s, key, q, now_ms);
    v.reset_ms = e.window_start_ms + e.unit_ms - now_ms;
    const bool shared = options_.distributed && remote_up();
    if (options_.distributed && !shared && q.fail_closed) {
      v.kind = Verdict::Kind::kUnavailable;
      return v;
    }
    int64_t used_signed = shared ? int64_t(e.fleet) + e.in_flight + e.unsynced : int64_t(e.local);
    uint64_t used = used_signed < 0 ? 0 : uint64_t(used_signed);
    v.remaining = used < q.limit ? q.limit - used : 0;
    bool fits = cost == 0 ? used < q.limit : used + cost <= q.limit;
    if (!fits) {
      v.kind = Verdict::Kind::kLimited;
      return v;
    }
    if (shared && cost > 0) {
      uint64_t cap = cap_for(q.limit);
      int64_t pending = e.unsynced + e.in_flight;
      if (pending > 0 && uint64_t(pending) + cost > cap) {
        // This node already holds all the unconfirmed admissions it may for this key; the
        // next sync (already asked for) tells whether the fleet has room.
        v.kind = Verdict::Kind::kLimited;
        want_sync = true;
      }
    }
    if (v.kind == Verdict::Kind::kAllowed && cost > 0) {
      e.local += cost;
      v.remaining -= std::min(v.remaining, cost);
      if (shared) {
        e.unsynced += int64_t(cost);
        if (!e.dirty) {
          e.dirty = true;
          s.dirty.emplace_back(key);
        }
        uint64_t cap = cap_for(q.limit);
        if (uint64_t(e.unsynced + e.in_flight) * 2 >= cap) want_sync = true;
      }
    }
  }
  if (want_sync && !sync_requested_.exchange(true, std::memory_order_acq_rel)) wake();
  return v;
}

bool CounterStore::wait_for_sync(std::chrono::milliseconds timeout, const std::atomic<bool>& stop) {
  std::unique_lock lock(sync_mu_);
  sync_cv_.wait_for(lock, timeout, [&] { return stop.load() || sync_requested_.load(std::memory_order_acquire); });
  return sync_requested_.exchange(false, std::memory_order_acq_rel);
}

void CounterStore::wake() {
  { std::lock_guard lock(sync_mu_); }  // a waiter is either asleep or will see the flag
  sync_cv_.notify_all();
}

void CounterStore::release(std::string_view key, const Quota& q, uint64_t cost, int64_t now_ms) {
  size_t h;
  Shard& s = shard_for(key, h);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(key);
  if (it == s.map.end()) return;
  Entry& e = it->second;
  if (e.window_start_ms != window_start(now_ms, q.unit_ms) || e.unit_ms != q.unit_ms) return;
  e.local -= std::min(e.local, cost);
  if (options_.distributed && remote_up()) {
    e.unsynced -= int64_t(cost);
    if (!e.dirty) {
      e.dirty = true;
      s.dirty.emplace_back(key);
    }
  }
}

void CounterStore::charge(std::string_view key, const Quota& q, uint64_t amount, int64_t now_ms) {
  if (amount == 0) return;
  size_t h;
  Shard& s = shard_for(key, h);
  std::lock_guard lock(s.mu);
  Entry& e = entry_locked(s, key, q, now_ms);
  e.local += amount;
  if (options_.distributed && remote_up()) {
    e.unsynced += int64_t(amount);
    if (!e.dirty) {
      e.dirty = true;
      s.dirty.emplace_back(key);
    }
  }
}

std::optional<CounterView> CounterStore::inspect(std::string_view key) const {
  size_t h;
  Shard& s = shard_for(key, h);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(key);
  if (it == s.map.end()) return std::nullopt;
  const Entry& e = it->second;
  return CounterView{e.window_start_ms, e.unit_ms, e.local, e.fleet, e.unsynced, e.in_flight};
}

void CounterStore::take_deltas(std::vector<Delta>& out) {
  for (size_t i = 0; i < kShards; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lock(s.mu);
    for (auto& key : s.dirty) {
      auto it = s.map.find(key);
      if (it == s.map.end()) continue;
      Entry& e = it->second;
      e.dirty = false;
      if (e.unsynced == 0) continue;
      out.push_back(Delta{std::move(key), e.window_start_ms, e.unit_ms, e.unsynced});
      e.in_flight += e.unsynced;
      e.unsynced = 0;
    }
    s.dirty.clear();
    for (auto& d : s.orphans) out.push_back(std::move(d));
    s.orphans.clear();
  }
}

void CounterStore::confirm(const Delta& d, uint64_t fleet_total) {
  size_t h;
  Shard& s = shard_for(d.key, h);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(std::string_view(d.key));
  if (it == s.map.end()) return;
  Entry& e = it->second;
  if (e.window_start_ms != d.window_start_ms || e.unit_ms != d.unit_ms) return;  // window over
  e.in_flight -= d.amount;
  e.fleet = fleet_total;
}

void CounterStore::set_remote_up(bool up) {
  bool was = remote_up_.exchange(up);
  if (was == up || up) return;
  for (size_t i = 0; i < kShards; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lock(s.mu);
    for (auto& [key, e] : s.map) {
      e.unsynced = 0;
      e.in_flight = 0;
      e.dirty = false;
    }
    s.dirty.clear();
    s.orphans.clear();
  }
}

void CounterStore::sweep(int64_t now_ms, size_t shards) {
  for (size_t n = 0; n < std::min(shards, kShards); ++n) {
    Shard& s = shards_[sweep_next_.fetch_add(1, std::memory_order_relaxed) % kShards];
    std::lock_guard lock(s.mu);
    for (auto it = s.map.begin(); it != s.map.end();) {
      const Entry& e = it->second;
      if (now_ms >= e.window_start_ms + e.unit_ms && !e.dirty && e.unsynced == 0 && e.in_flight == 0) {
        s.bytes -= entry_bytes(it->first);
        ++s.reclaimed;
        it = s.map.erase(it);
      } else {
        ++it;
      }
    }
  }
}

StoreStats CounterStore::stats() const {
  StoreStats st;
  for (size_t i = 0; i < kShards; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lock(s.mu);
    st.keys += s.map.size();
    st.bytes += s.bytes;
    st.evictions += s.evictions;
    st.live_evictions += s.live_evictions;
    st.reclaimed += s.reclaimed;
  }
  return st;
}

}  // namespace postern::throttle
