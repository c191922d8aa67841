#pragma once
// Latency percentiles by the nearest-rank method: the p-th percentile of n values is the
// value at rank ceil(p/100 * n) in ascending order (always one of the observed values;
// p50 of {1,2,3,4} is 2). Computed in C++ so SQLite and PostgreSQL reports agree exactly.
#include <cstdint>
#include <optional>
#include <vector>

namespace postern::collector {

// The rank (1-based) nearest-rank picks for percentile `p` (0 < p <= 100) of `n` values.
size_t nearest_rank(double p, size_t n);

struct Percentiles {
  int64_t p50 = 0, p95 = 0, p99 = 0;
};

// p50/p95/p99 of `values` (reordered in place); nullopt when empty.
std::optional<Percentiles> percentiles(std::vector<int64_t>& values);

}  // namespace postern::collector
