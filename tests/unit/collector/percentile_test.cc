#include "collector/percentile.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace postern::collector {
namespace {

TEST(CollectorNearestRank, Definition) {
  EXPECT_EQ(nearest_rank(50, 4), 2u);    // ceil(2)
  EXPECT_EQ(nearest_rank(50, 5), 3u);    // ceil(2.5)
  EXPECT_EQ(nearest_rank(95, 20), 19u);  // exactly 19, not 20
  EXPECT_EQ(nearest_rank(99, 100), 99u);
  EXPECT_EQ(nearest_rank(99, 101), 100u);
  EXPECT_EQ(nearest_rank(50, 1), 1u);
  EXPECT_EQ(nearest_rank(99, 1), 1u);
  EXPECT_EQ(nearest_rank(100, 7), 7u);
  EXPECT_EQ(nearest_rank(1, 1000), 10u);
}

TEST(CollectorPercentiles, SmallSets) {
  std::vector<int64_t> v{4, 1, 3, 2};
  auto p = percentiles(v);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->p50, 2);
  EXPECT_EQ(p->p95, 4);
  EXPECT_EQ(p->p99, 4);
  std::vector<int64_t> one{7};
  p = percentiles(one);
  EXPECT_EQ(p->p50, 7);
  EXPECT_EQ(p->p99, 7);
  std::vector<int64_t> none;
  EXPECT_FALSE(percentiles(none));
}

TEST(CollectorPercentiles, OneToHundred) {
  std::vector<int64_t> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  auto p = percentiles(v);
  EXPECT_EQ(p->p50, 50);
  EXPECT_EQ(p->p95, 95);
  EXPECT_EQ(p->p99, 99);
}

// Against a full sort on random data with duplicates, many sizes.
TEST(CollectorPercentiles, MatchesSortedReference) {
  std::mt19937_64 rng(12345);
  for (size_t n : {1u, 2u, 3u, 19u, 20u, 21u, 99u, 100u, 101u, 999u, 1000u, 4097u}) {
    std::vector<int64_t> v(n);
    for (auto& x : v) x = static_cast<int64_t>(rng() % 500);
    std::vector<int64_t> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    auto ref = [&](double pct) { return sorted[static_cast<size_t>(std::ceil(pct / 100.0 * double(n) - 1e-9)) - 1]; };
    auto p = percentiles(v);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->p50, ref(50)) << n;
    EXPECT_EQ(p->p95, ref(95)) << n;
    EXPECT_EQ(p->p99, ref(99)) << n;
  }
}

}  // namespace
}  // namespace postern::collector
