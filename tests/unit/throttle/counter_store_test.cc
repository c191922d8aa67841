// The node's counters: window arithmetic at the boundaries (time is passed in, so the
// clock is injected), exactness under concurrent workers, refunds, the memory bound, and
// the distributed bookkeeping the Redis thread relies on.
#include "throttle/counter_store.h"

#include <malloc.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "throttle/window.h"

namespace postern::throttle {
namespace {

using Kind = Verdict::Kind;

TEST(Window, AlignedToTheEpoch) {
  EXPECT_EQ(window_start(0, 60'000), 0);
  EXPECT_EQ(window_start(59'999, 60'000), 0);
  EXPECT_EQ(window_start(60'000, 60'000), 60'000);
  EXPECT_EQ(window_start(1'700'000'012'345, 1'000), 1'700'000'012'000);
  EXPECT_EQ(window_start(-1, 1'000), -1'000);
  EXPECT_EQ(until_window_end(60'000, 60'000), 60'000);
  EXPECT_EQ(until_window_end(119'999, 60'000), 1);
  EXPECT_EQ(ceil_seconds(1), 1);
  EXPECT_EQ(ceil_seconds(1'000), 1);
  EXPECT_EQ(ceil_seconds(1'001), 2);
  EXPECT_EQ(ceil_seconds(0), 0);
}

TEST(CounterStore, ExactLimitWithinAWindowAndResetAtTheBoundary) {
  CounterStore s({});
  Quota q{3, 60'000, false};
  const int64_t t0 = 120'000;  // a window start
  for (int i = 0; i < 3; ++i) {
    Verdict v = s.acquire("k", q, 1, t0 + i);
    ASSERT_EQ(v.kind, Kind::kAllowed) << i;
    EXPECT_EQ(v.limit, 3u);
    EXPECT_EQ(v.remaining, uint64_t(2 - i));
    EXPECT_EQ(v.reset_ms, 60'000 - i);
  }
  Verdict over = s.acquire("k", q, 1, t0 + 59'999);
  EXPECT_EQ(over.kind, Kind::kLimited);
  EXPECT_EQ(over.remaining, 0u);
  EXPECT_EQ(over.reset_ms, 1);
  // The last millisecond of the window is still the old window; the next one is new.
  Verdict next = s.acquire("k", q, 1, t0 + 60'000);
  EXPECT_EQ(next.kind, Kind::kAllowed);
  EXPECT_EQ(next.remaining, 2u);
  EXPECT_EQ(next.reset_ms, 60'000);
}

TEST(CounterStore, RefusedRequestsAreNotCounted) {
  CounterStore s({});
  Quota q{2, 1'000, false};
  ASSERT_EQ(s.acquire("k", q, 1, 0).kind, Kind::kAllowed);
  ASSERT_EQ(s.acquire("k", q, 1, 1).kind, Kind::kAllowed);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(s.acquire("k", q, 1, 2).kind, Kind::kLimited);
  EXPECT_EQ(s.inspect("k")->local, 2u);
}

TEST(CounterStore, ReleaseGivesBackOnlyInTheSameWindow) {
  CounterStore s({});
  Quota q{1, 1'000, false};
  ASSERT_EQ(s.acquire("k", q, 1, 10).kind, Kind::kAllowed);
  s.release("k", q, 1, 20);
  EXPECT_EQ(s.acquire("k", q, 1, 30).kind, Kind::kAllowed);
  // A release that arrives after the window ended does not touch the new window.
  ASSERT_EQ(s.acquire("k", q, 1, 1'010).kind, Kind::kAllowed);
  s.release("k", q, 1, 2'000);
  EXPECT_EQ(s.inspect("k")->local, 1u);
}

TEST(CounterStore, ByteQuotaChargedAfterwards) {
  CounterStore s({});
  Quota q{1000, 60'000, false};
  EXPECT_EQ(s.acquire("b", q, 0, 0).kind, Kind::kAllowed);  // cost 0: anything left?
  s.charge("b", q, 999, 1);
  EXPECT_EQ(s.acquire("b", q, 0, 2).kind, Kind::kAllowed);
  s.charge("b", q, 5, 3);  // a response may overrun the quota; the next call is refused
  EXPECT_EQ(s.acquire("b", q, 0, 4).kind, Kind::kLimited);
  EXPECT_EQ(s.acquire("b", q, 0, 60'000).kind, Kind::kAllowed);
}

TEST(CounterStore, ExactAcrossThreads) {
  CounterStore s({});
  Quota q{1000, 3'600'000, false};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) {
        if (s.acquire("hot", q, 1, 7'200'000 + i % 100).kind == Kind::kAllowed) allowed.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed.load(), 1000);
}

TEST(CounterStore, SweepReclaimsKeysWhoseWindowEnded) {
  CounterStore s({});
  Quota q{10, 1'000, false};
  for (int i = 0; i < 1000; ++i) s.acquire("k" + std::to_string(i), q, 1, 500);
  EXPECT_EQ(s.stats().keys, 1000u);
  s.sweep(999);  // windows still running
  EXPECT_EQ(s.stats().keys, 1000u);
  s.sweep(1'000);
  EXPECT_EQ(s.stats().keys, 0u);
  EXPECT_EQ(s.stats().bytes, 0u);
  EXPECT_EQ(s.stats().reclaimed, 1000u);
}

// The soak the issue asks for: a million distinct keys stay within the memory bound, both
// as the store accounts it and as the allocator sees it.
TEST(CounterStore, MillionDistinctKeysStayWithinTheMemoryBound) {
  const uint64_t bound = 16ull << 20;
  struct mallinfo2 before = mallinfo2();
  {
    CounterStore s({bound, false, 100});
    Quota q{5, 60'000, false};
    std::string key = "sub|application-";
    const size_t base = key.size();
    uint64_t peak_heap = 0;
    for (int i = 0; i < 1'000'000; ++i) {
      key.resize(base);
      key += std::to_string(i);
      key += "|PetStore:1.0.0";
      ASSERT_EQ(s.acquire(key, q, 1, 60'000 + i / 1000).kind, Kind::kAllowed) << i;
      if (i % 100'000 == 99'999) {
        StoreStats st = s.stats();
        EXPECT_LE(st.bytes, bound) << i;
        struct mallinfo2 now = mallinfo2();
        uint64_t heap = now.uordblks > before.uordblks ? now.uordblks - before.uordblks : 0;
        peak_heap = std::max(peak_heap, heap);
      }
    }
    StoreStats st = s.stats();
    EXPECT_LE(st.bytes, bound);
    EXPECT_GT(st.evictions, 0u);  // 1M keys do not fit in 16 MiB: the oldest went
    EXPECT_GT(st.keys, 50'000u);  // but the bound was used, not thrown away
    // What malloc holds for the store stays within the bound plus 10 % (the bucket arrays
    // grow in steps).
    EXPECT_LE(peak_heap, bound + bound / 10) << "heap " << peak_heap;
  }
}

TEST(CounterStore, EvictionPrefersKeysWhoseWindowEnded) {
  CounterStore s({1u << 20, false, 100});  // 16 KiB per shard
  Quota old_q{5, 1'000, false};
  Quota live_q{5, 3'600'000, false};
  for (int i = 0; i < 20'000; ++i) s.acquire("old" + std::to_string(i), old_q, 1, 0);
  uint64_t before = s.stats().live_evictions;
  for (int i = 0; i < 2'000; ++i) s.acquire("live" + std::to_string(i), live_q, 1, 5'000);
  (void)before;
  // Every live key is still there: the evictions took keys of the ended 1 s windows.
  int present = 0;
  for (int i = 0; i < 2'000; ++i) present += s.inspect("live" + std::to_string(i)).has_value();
  EXPECT_EQ(present, 2'000);
}

TEST(CounterStore, DistributedCountsFleetAndUnsynced) {
  CounterStore s({1u << 20, true, 100});
  Quota q{100, 60'000, false};
  // Down until Redis answered once: fail-open quotas count locally.
  EXPECT_FALSE(s.remote_up());
  EXPECT_EQ(s.acquire("k", q, 1, 0).kind, Kind::kAllowed);
  std::vector<Delta> d;
  s.take_deltas(d);
  EXPECT_TRUE(d.empty());  // nothing is queued while down
  s.set_remote_up(true);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(s.acquire("k", q, 1, 1).kind, Kind::kAllowed);
  s.take_deltas(d);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].key, "k");
  EXPECT_EQ(d[0].amount, 5);
  EXPECT_EQ(d[0].window_start_ms, 0);
  EXPECT_EQ(s.inspect("k")->in_flight, 5);
  // Redis says the fleet has used 97 (our 5 included): 3 are left.
  s.confirm(d[0], 97);
  EXPECT_EQ(s.inspect("k")->fleet, 97u);
  EXPECT_EQ(s.inspect("k")->in_flight, 0);
  EXPECT_EQ(s.acquire("k", q, 1, 2).kind, Kind::kAllowed);
  EXPECT_EQ(s.acquire("k", q, 1, 2).kind, Kind::kAllowed);
  Verdict last = s.acquire("k", q, 1, 2);
  EXPECT_EQ(last.kind, Kind::kAllowed);
  EXPECT_EQ(last.remaining, 0u);
  EXPECT_EQ(s.acquire("k", q, 1, 2).kind, Kind::kLimited);
}

TEST(CounterStore, DistributedUnconfirmedCapBoundsOvershoot) {
  CounterStore s({1u << 20, true, 4});  // at most 4 unconfirmed per key
  s.set_remote_up(true);
  Quota q{1000, 60'000, false};
  EXPECT_FALSE(s.sync_requested());
  for (int i = 0; i < 4; ++i) ASSERT_EQ(s.acquire("k", q, 1, 0).kind, Kind::kAllowed);
  EXPECT_TRUE(s.sync_requested());                          // half of the cap is unconfirmed: a sync was asked for
  EXPECT_EQ(s.acquire("k", q, 1, 0).kind, Kind::kLimited);  // wait for the fleet's answer
  std::atomic<bool> stop{false};
  EXPECT_TRUE(s.wait_for_sync(std::chrono::milliseconds(0), stop));  // the request is consumed
  EXPECT_FALSE(s.sync_requested());
  std::vector<Delta> d;
  s.take_deltas(d);
  s.confirm(d[0], 4);
  EXPECT_EQ(s.acquire("k", q, 1, 0).kind, Kind::kAllowed);
  // Small limits get a small cap: at most a tenth of the limit (at least 1).
  Quota small{10, 60'000, false};
  ASSERT_EQ(s.acquire("s", small, 1, 0).kind, Kind::kAllowed);
  EXPECT_EQ(s.acquire("s", small, 1, 0).kind, Kind::kLimited);
}

TEST(CounterStore, DistributedFailClosedAndRecovery) {
  CounterStore s({1u << 20, true, 100});
  Quota closed{10, 60'000, true};
  Quota open{2, 60'000, false};
  EXPECT_EQ(s.acquire("c", closed, 1, 0).kind, Kind::kUnavailable);
  EXPECT_EQ(s.acquire("o", open, 1, 0).kind, Kind::kAllowed);
  s.set_remote_up(true);
  EXPECT_EQ(s.acquire("c", closed, 1, 0).kind, Kind::kAllowed);
  std::vector<Delta> d;
  s.take_deltas(d);
  s.set_remote_up(false);  // the round trip failed: what was in flight is forgotten
  EXPECT_EQ(s.inspect("c")->in_flight, 0);
  EXPECT_EQ(s.acquire("c", closed, 1, 0).kind, Kind::kUnavailable);
  // Fail-open counts locally: this node alone holds the whole limit.
  EXPECT_EQ(s.acquire("o", open, 1, 0).kind, Kind::kAllowed);
  EXPECT_EQ(s.acquire("o", open, 1, 0).kind, Kind::kLimited);
}

TEST(CounterStore, WindowRolloverKeepsUnsyncedForTheOldWindow) {
  CounterStore s({1u << 20, true, 100});
  s.set_remote_up(true);
  Quota q{100, 1'000, false};
  s.acquire("k", q, 1, 900);
  s.acquire("k", q, 1, 1'100);  // next window
  std::vector<Delta> d;
  s.take_deltas(d);
  ASSERT_EQ(d.size(), 2u);
  int64_t sum_old = 0, sum_new = 0;
  for (const auto& x : d) (x.window_start_ms == 0 ? sum_old : sum_new) += x.amount;
  EXPECT_EQ(sum_old, 1);
  EXPECT_EQ(sum_new, 1);
}

}  // namespace
}  // namespace postern::throttle

namespace postern::throttle {
namespace {

// Workers admit while a "Redis" thread takes deltas and confirms totals: every admitted
// request reaches the fleet total exactly once.
TEST(CounterStore, DistributedNothingLostUnderConcurrency) {
  CounterStore s({1u << 20, true, 10});
  s.set_remote_up(true);
  Quota q{100'000, 3'600'000, false};
  std::atomic<bool> done{false};
  int64_t redis_total = 0;
  std::thread sync([&] {
    std::vector<Delta> d;
    while (!done.load()) {
      d.clear();
      s.take_deltas(d);
      for (const auto& x : d) {
        redis_total += x.amount;
        s.confirm(x, uint64_t(redis_total));
      }
      std::this_thread::yield();
    }
    d.clear();
    s.take_deltas(d);
    for (const auto& x : d) {
      redis_total += x.amount;
      s.confirm(x, uint64_t(redis_total));
    }
  });
  std::atomic<int> allowed{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < 20'000; ++i) {
        if (s.acquire("k", q, 1, 1'000).kind == Verdict::Kind::kAllowed) allowed.fetch_add(1);
      }
    });
  }
  for (auto& w : workers) w.join();
  done = true;
  sync.join();
  auto v = s.inspect("k");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->local, uint64_t(allowed.load()));
  EXPECT_EQ(redis_total, allowed.load());
  EXPECT_EQ(v->unsynced, 0);
  EXPECT_EQ(v->in_flight, 0);
}

}  // namespace
}  // namespace postern::throttle
