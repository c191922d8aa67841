#pragma once
// The storage schema both stores create (docs/analytics.md "Storage schema"),
// described once so SQLite and PostgreSQL cannot drift apart.
#include <string>

namespace postern::collector {

enum class ColumnKind { kText, kInt, kBool };

struct Column {
  const char* name;
  ColumnKind kind;
};

// The request-event columns in RequestEvent field order ("user" is reserved in SQL, so the
// column is user_name). Inserts bind values in exactly this order, after file_id.
inline constexpr Column kEventColumns[] = {
    {"time", ColumnKind::kText},
    {"ts_us", ColumnKind::kInt},
    {"request_id", ColumnKind::kText},
    {"trace_id", ColumnKind::kText},
    {"node", ColumnKind::kText},
    {"api", ColumnKind::kText},
    {"api_version", ColumnKind::kText},
    {"base_path", ColumnKind::kText},
    {"resource", ColumnKind::kText},
    {"method", ColumnKind::kText},
    {"app_id", ColumnKind::kText},
    {"app_name", ColumnKind::kText},
    {"consumer_key", ColumnKind::kText},
    {"user_name", ColumnKind::kText},
    {"key_type", ColumnKind::kText},
    {"client_ip", ColumnKind::kText},
    {"user_agent", ColumnKind::kText},
    {"status", ColumnKind::kInt},
    {"error_code", ColumnKind::kInt},
    {"error_source", ColumnKind::kText},
    {"error_reason", ColumnKind::kText},
    {"throttled", ColumnKind::kBool},
    {"throttle_level", ColumnKind::kText},
    {"cache_hit", ColumnKind::kBool},
    {"bytes_in", ColumnKind::kInt},
    {"bytes_out", ColumnKind::kInt},
    {"total_us", ColumnKind::kInt},
    {"upstream_us", ColumnKind::kInt},
    {"gateway_us", ColumnKind::kInt},
    {"endpoint", ColumnKind::kText},
    // Added later (kAddedEventColumns): last, so a created and a migrated table agree.
    {"api_owner", ColumnKind::kText},
};
inline constexpr int kEventColumnCount = sizeof kEventColumns / sizeof kEventColumns[0];

// Columns added to `events` after the first release. A database created before lacks them;
// each store adds the missing ones when it opens the database (ALTER TABLE … ADD COLUMN
// with the definition below, so existing rows get the default). There is no schema
// version table: the columns themselves are the version.
struct AddedColumn {
  const char* name;
  const char* definition;
};
inline constexpr AddedColumn kAddedEventColumns[] = {
    {"api_owner", "TEXT NOT NULL DEFAULT ''"},
};

// What a report scan selects, in ScannedRequest field order.
inline constexpr const char* kScanColumns =
    "ts_us, api, api_version, method, resource, app_id, app_name, user_name, status, error_source, error_reason, "
    "throttled, throttle_level, bytes_in, bytes_out, total_us, api_owner";

// "time, ts_us, ..." (the event columns joined).
inline std::string event_column_list() {
  std::string s;
  for (const Column& c : kEventColumns) {
    if (!s.empty()) s += ", ";
    s += c.name;
  }
  return s;
}

// The CREATE statements, for `int_type` (INTEGER / BIGINT) and `bool_type` (INTEGER / BOOLEAN).
inline std::string schema_ddl(const char* int_type, const char* bool_type) {
  std::string events = "CREATE TABLE IF NOT EXISTS events (file_id TEXT NOT NULL REFERENCES files(file_id)";
  for (const Column& c : kEventColumns) {
    events += std::string(", ") + c.name + " " +
              (c.kind == ColumnKind::kText  ? "TEXT"
               : c.kind == ColumnKind::kInt ? int_type
                                            : bool_type) +
              " NOT NULL";
  }
  events += ");\n";
  return std::string("CREATE TABLE IF NOT EXISTS files (file_id TEXT PRIMARY KEY, node TEXT NOT NULL, events ") +
         int_type + " NOT NULL, received_at TEXT NOT NULL);\n" + events +
         "CREATE INDEX IF NOT EXISTS events_ts_us ON events (ts_us);\n"
         "CREATE TABLE IF NOT EXISTS gaps (file_id TEXT NOT NULL REFERENCES files(file_id), time TEXT NOT NULL, "
         "ts_us " +
         int_type + " NOT NULL, node TEXT NOT NULL, lost_file_id TEXT NOT NULL, lost_events " + int_type +
         " NOT NULL, reason TEXT NOT NULL);\n"
         "CREATE INDEX IF NOT EXISTS gaps_ts_us ON gaps (ts_us);\n";
}

}  // namespace postern::collector
