#pragma once
// EventStore on PostgreSQL (libpq): for several gateways and data centres writing to one
// place. One connection; a lost connection is re-established on the next call, so a
// database restart costs the gateways one retry (503), not a collector restart.
#include <libpq-fe.h>

#include <string>

#include "collector/event_store.h"

namespace postern::collector {

class PostgresStore final : public EventStore {
 public:
  explicit PostgresStore(std::string conninfo);  // connects and creates the schema; throws StoreUnavailable
  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  IngestOutcome ingest(const EventFile& file) override;
  void scan_requests(const TimeWindow& window, const std::function<void(const ScannedRequest&)>& row) override;
  std::vector<GapEvent> gaps(const TimeWindow& window) override;
  std::optional<std::pair<int64_t, int64_t>> request_span(const TimeWindow& window) override;

 private:
  PGconn* conn();  // connected, or throws
  [[noreturn]] void fail(const std::string& what, PGresult* res = nullptr);
  std::string conninfo_;
  PGconn* conn_ = nullptr;
};

}  // namespace postern::collector
