#pragma once
// Counters of the analytics pipeline, read by /metrics (docs/analytics.md "Metrics").
// Written by the writer and shipper threads; the workers' own counters live in their
// EventBuffer.
#include <atomic>
#include <cstdint>

namespace postern::analytics {

struct Stats {
  std::atomic<uint64_t> events_written{0};  // lines appended to event files
  std::atomic<uint64_t> bytes_written{0};
  std::atomic<uint64_t> write_errors{0};   // failed write(2) calls (retried)
  std::atomic<uint64_t> files_closed{0};   // rotations
  std::atomic<uint64_t> files_pending{0};  // gauge: closed files not yet uploaded
  std::atomic<uint64_t> disk_bytes{0};     // gauge: bytes of all event files
  std::atomic<uint64_t> files_uploaded{0};
  std::atomic<uint64_t> events_uploaded{0};
  std::atomic<uint64_t> upload_failures{0};      // attempts that will be retried
  std::atomic<uint64_t> files_rejected{0};       // collector said 400/413: moved aside
  std::atomic<uint64_t> files_dropped{0};        // deleted unsent, past the disk budget
  std::atomic<uint64_t> events_dropped_disk{0};  // the events in those files
};

}  // namespace postern::analytics
