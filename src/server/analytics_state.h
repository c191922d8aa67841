#pragma once
// The gateway's analytics pipeline for the life of the process (docs/analytics.md): the
// writer thread, the shipper thread, the disk budget they share and their counters. Built from postern.yaml at start;
// a reload that changes `analytics:` is reported and applies at the next start.
#include <memory>
#include <string>
#include <vector>

#include "analytics/disk_budget.h"
#include "analytics/event_buffer.h"
#include "analytics/event_writer.h"
#include "analytics/shipper.h"
#include "analytics/stats.h"
#include "config/snapshot.h"

namespace postern::server {

class AnalyticsState {
 public:
  // Main thread, before the workers start. False with `error` when the folder is unusable.
  bool start(const config::AnalyticsConfig& cfg, const std::string& node_id, unsigned workers, std::string& error);
  bool enabled() const { return writer_ != nullptr; }
  // Main thread, before start() of worker `i`: sets up its side of the pipeline.
  void configure_buffer(unsigned i, analytics::EventBuffer& buffer);
  // Main thread, after the workers' threads ended: writes what they buffered, closes the
  // file, stops the shipper. `buffers` are the workers' buffers.
  void stop(const std::vector<analytics::EventBuffer*>& buffers);
  // A reload: warns when the analytics settings differ from those in force.
  void check_reload(const config::AnalyticsConfig& cfg) const;
  // Prometheus text for /metrics; `buffers` give the per-worker counters.
  void append_metrics(std::string& out, const std::vector<const analytics::EventBuffer*>& buffers) const;

 private:
  config::AnalyticsConfig cfg_;
  analytics::Stats stats_;
  std::unique_ptr<analytics::DiskBudget> budget_;  // used by both threads: outlives them
  std::unique_ptr<analytics::EventWriter> writer_;
  std::unique_ptr<analytics::Shipper> shipper_;
  std::vector<analytics::Channel*> channels_;
};

}  // namespace postern::server
