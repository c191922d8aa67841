#include "collector/percentile.h"

#include <algorithm>
#include <cmath>

namespace postern::collector {

size_t nearest_rank(double p, size_t n) {
  if (n == 0) return 0;
  // p/100*n in integer arithmetic where it matters: 95/100*20 must be exactly 19, and
  // floating point would round 0.95*20 up past it on some inputs.
  double exact = p * static_cast<double>(n) / 100.0;
  auto rank = static_cast<size_t>(std::ceil(exact - 1e-9));
  return std::clamp<size_t>(rank, 1, n);
}

std::optional<Percentiles> percentiles(std::vector<int64_t>& v) {
  if (v.empty()) return std::nullopt;
  // Three selections, highest rank first: each nth_element leaves everything below the
  // chosen rank in the prefix, so the next one only reorders that prefix.
  auto pick = [&](size_t rank, size_t end) {
    auto it = v.begin() + static_cast<std::ptrdiff_t>(rank - 1);
    std::nth_element(v.begin(), it, v.begin() + static_cast<std::ptrdiff_t>(end));
    return *it;
  };
  Percentiles p;
  size_t r99 = nearest_rank(99, v.size()), r95 = nearest_rank(95, v.size()), r50 = nearest_rank(50, v.size());
  p.p99 = pick(r99, v.size());
  p.p95 = pick(r95, r99);
  p.p50 = pick(r50, r95);
  return p;
}

}  // namespace postern::collector
