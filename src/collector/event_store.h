#pragma once
// Where the collector keeps events: SQLite (a file, the default) or PostgreSQL (several
// gateways and data centres). The schema (docs/analytics.md) is created on
// first use; both implementations answer the same questions the same way.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "collector/event.h"

namespace postern::collector {

// The database cannot be reached or failed a statement: the collector answers 503 (the
// gateway retries), the report command exits non-zero.
class StoreUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct IngestOutcome {
  int64_t events = 0;      // events stored for this file_id (this upload's, or the earlier one's)
  bool duplicate = false;  // the file_id was already stored: nothing was inserted
};

// A half-open time window [since, until) in unix microseconds; unset ends are open.
struct TimeWindow {
  std::optional<int64_t> since_us, until_us;
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Stores one file in ONE transaction: the files row and all its events and gaps, or
  // nothing. A file_id already stored inserts nothing and answers duplicate with the count
  // stored then (so a retry after a lost acknowledgement never double counts).
  virtual IngestOutcome ingest(const EventFile& file) = 0;

  // Calls `row` for every request event in the window, in no particular order, without
  // holding them all in memory (SQLite steps a statement; PostgreSQL uses single-row mode).
  virtual void scan_requests(const TimeWindow& window, const std::function<void(const ScannedRequest&)>& row) = 0;

  // Gap records (lost files) whose time is in the window, oldest first.
  virtual std::vector<GapEvent> gaps(const TimeWindow& window) = 0;

  // Smallest and largest ts_us of request events in the window (nullopt when none): a
  // report without --since picks its time buckets from this.
  virtual std::optional<std::pair<int64_t, int64_t>> request_span(const TimeWindow& window) = 0;
};

// Opens the store a URL names: "postgresql://…" (or "postgres://…") is PostgreSQL;
// "sqlite:///abs/path.db" or a plain path is SQLite. Creates the schema when missing.
// Throws StoreUnavailable when it cannot.
std::unique_ptr<EventStore> open_event_store(const std::string& url);

}  // namespace postern::collector
