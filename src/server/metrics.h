#pragma once
// Per-worker metrics (design.md: "metrics per-worker, summed on scrape"). Each worker is the
// only writer of its counters, so an increment is a relaxed load+store, not a locked RMW;
// the admin thread reads them with relaxed loads and sums over workers.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "filters/auth/revocation_feed.h"
#include "filters/local_reply.h"
#include "server/active_bundle.h"
#include "upstream/upstream_error.h"

namespace postern::server {

// A counter written by one thread and read by others.
class WorkerCounter {
 public:
  void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// Requests by status class for one route label: index 0 = 1xx … 4 = 5xx.
struct RouteCounters {
  std::array<WorkerCounter, 5> by_status_class;
};

using upstream::UpstreamError;
const char* upstream_error_name(UpstreamError e);

// Requests the gateway answered itself, by reason (filters::ReplyReason). One counter each.
using LocalReason = filters::ReplyReason;

// Latency histogram bucket upper bounds, seconds.
inline constexpr std::array<double, 14> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                           0.1,    0.25,  0.5,    1,     2.5,  5,     10};

inline constexpr size_t kRouteBlockSize = 1024;
inline constexpr size_t kMaxRouteBlocks = 64;  // up to 65536 route labels per process

struct WorkerMetrics {
  // Route label slots, allocated by the MetricsRegistry on the main thread before a runtime
  // that uses them is published to the worker.
  std::array<std::unique_ptr<RouteCounters[]>, kMaxRouteBlocks> route_blocks;
  std::array<WorkerCounter, size_t(UpstreamError::kCount)> upstream_errors;
  std::array<WorkerCounter, size_t(LocalReason::kCount)> local_replies;
  std::array<WorkerCounter, kLatencyBuckets.size() + 1> latency_buckets;  // last = +Inf
  WorkerCounter latency_sum_us;
  WorkerCounter latency_count;
  WorkerCounter connections_accepted;
  WorkerCounter connections_closed;
  WorkerCounter upstream_connections_opened;
  WorkerCounter upstream_connections_reused;

  RouteCounters& route(uint32_t slot) { return route_blocks[slot / kRouteBlockSize][slot % kRouteBlockSize]; }
  void observe_latency(uint64_t micros);
};

// Stable slot numbers for route labels across reloads, so counters never reset because a
// config was reloaded. Main thread only.
class MetricsRegistry {
 public:
  struct Label {
    std::string api;
    std::string route;  // "GET /pets/{id}"
  };
  // Slot 0 is the label for requests that matched no route.
  MetricsRegistry();
  uint32_t slot_for(const std::string& api, const std::string& route);
  // Makes sure every worker has storage for all slots handed out so far.
  void ensure_storage(std::vector<WorkerMetrics*>& workers);
  const std::vector<Label>& labels() const { return labels_; }

 private:
  std::unordered_map<std::string, uint32_t> slots_;
  std::vector<Label> labels_;
};

struct GaugeSnapshot {
  int64_t active_connections = 0;
  int64_t idle_upstream_connections = 0;
};

// Prometheus text exposition (version 0.0.4) of the sum over workers.
std::string render_prometheus(const MetricsRegistry& registry, const std::vector<const WorkerMetrics*>& workers,
                              const GaugeSnapshot& gauges, uint64_t config_generation, uint64_t reload_failures);

// The key managers' revocation lists the gateway polls: fetches by result, and ids held.
void append_revocation_metrics(std::string& out, const std::vector<filters::RevocationListStats>& lists);

// The signed bundle in force: its sequence, and its digest and signer as an info metric.
void append_bundle_metrics(std::string& out, const ActiveBundle& bundle);

}  // namespace postern::server
