#pragma once
// EventStore on one SQLite file (WAL mode). One connection, used by one thread at a time:
// the collector serialises ingests, which is also all SQLite can do with writes.
#include <sqlite3.h>

#include <string>

#include "collector/event_store.h"

namespace postern::collector {

class SqliteStore final : public EventStore {
 public:
  explicit SqliteStore(const std::string& path);  // throws StoreUnavailable
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  IngestOutcome ingest(const EventFile& file) override;
  void scan_requests(const TimeWindow& window, const std::function<void(const ScannedRequest&)>& row) override;
  std::vector<GapEvent> gaps(const TimeWindow& window) override;
  std::optional<std::pair<int64_t, int64_t>> request_span(const TimeWindow& window) override;

 private:
  void exec(const char* sql);
  bool has_event_column(const char* name);
  void migrate();  // adds the event columns a database from an older collector lacks
  [[noreturn]] void fail(const char* what);
  sqlite3* db_ = nullptr;
};

}  // namespace postern::collector
