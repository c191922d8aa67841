#include "collector/postgres_store.h"

#include <memory>

#include "collector/schema.h"
#include "collector/time_util.h"

namespace postern::collector {
namespace {

struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultFree>;

// COPY text format: backslash, and the row/column separators, escaped.
void copy_text(std::string& out, const std::string& v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}

std::string window_param(const std::optional<int64_t>& v, int64_t open) { return std::to_string(v.value_or(open)); }

int64_t to_i64(const char* s) { return std::strtoll(s, nullptr, 10); }

}  // namespace

PostgresStore::PostgresStore(std::string conninfo) : conninfo_(std::move(conninfo)) {
  PGconn* c = conn();
  // Quiet the NOTICEs "relation already exists, skipping" that IF NOT EXISTS produces.
  Result r(PQexec(c, ("SET client_min_messages = warning;\n" + schema_ddl("BIGINT", "BOOLEAN")).c_str()));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail("create schema", r.get());
  // Then the columns a database created by an older collector lacks. ALTER TABLE locks the
  // table exclusively even when there is nothing to do, so it runs only for a missing
  // column; IF NOT EXISTS lets two collectors starting on one old database both succeed.
  // Existing rows get the column's default.
  for (const AddedColumn& col : kAddedEventColumns) {
    const char* params[] = {col.name};
    Result q(PQexecParams(c,
                          "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
                          "AND table_name = 'events' AND column_name = $1",
                          1, nullptr, params, nullptr, nullptr, 0));
    if (PQresultStatus(q.get()) != PGRES_TUPLES_OK) fail("read the columns of events", q.get());
    if (PQntuples(q.get()) > 0) continue;
    std::string alter = std::string("ALTER TABLE events ADD COLUMN IF NOT EXISTS ") + col.name + " " + col.definition;
    Result a(PQexec(c, alter.c_str()));
    if (PQresultStatus(a.get()) != PGRES_COMMAND_OK) fail("add column " + std::string(col.name), a.get());
  }
}

PostgresStore::~PostgresStore() { PQfinish(conn_); }

PGconn* PostgresStore::conn() {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return conn_;
  if (conn_) {
    PQreset(conn_);
    if (PQstatus(conn_) == CONNECTION_OK) return conn_;
    std::string msg = PQerrorMessage(conn_);
    throw StoreUnavailable("postgresql: reconnect failed: " + msg);
  }
  // A default connect_timeout: the collector stores on one thread, and libpq's default
  // (wait for TCP to give up, minutes) would hold every upload behind an unreachable host.
  // Keywords after "dbname" override the URL's, so the default goes first and a
  // connect_timeout in the URL still wins.
  const char* keys[] = {"connect_timeout", "dbname", nullptr};
  const char* values[] = {"10", conninfo_.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = conn_ ? PQerrorMessage(conn_) : "out of memory";
    PQfinish(conn_);
    conn_ = nullptr;
    throw StoreUnavailable("postgresql: cannot connect: " + msg);
  }
  return conn_;
}

void PostgresStore::fail(const std::string& what, PGresult* res) {
  std::string msg = res ? PQresultErrorMessage(res) : "";
  if (msg.empty() && conn_) msg = PQerrorMessage(conn_);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  throw StoreUnavailable("postgresql: " + what + ": " + msg);
}

IngestOutcome PostgresStore::ingest(const EventFile& file) {
  PGconn* c = conn();
  auto command = [&](const char* sql, const char* what) {
    Result r(PQexec(c, sql));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail(what, r.get());
  };
  // Rolls back on every path out that did not commit (a thrown error included). When even
  // that fails (the connection died, or is stuck in COPY), the connection is dropped and
  // the next call opens a fresh one: never reuse a connection in an unknown state.
  struct Rollback {
    PostgresStore* store;
    bool done = false;
    ~Rollback() {
      if (done || !store->conn_) return;
      bool ok = false;
      if (PQstatus(store->conn_) == CONNECTION_OK) {
        Result r(PQexec(store->conn_, "ROLLBACK"));
        ok = PQresultStatus(r.get()) == PGRES_COMMAND_OK && PQtransactionStatus(store->conn_) == PQTRANS_IDLE;
      }
      if (!ok) {
        PQfinish(store->conn_);
        store->conn_ = nullptr;
      }
    }
  };
  command("BEGIN", "begin");
  Rollback tx{this};
  std::string lines = std::to_string(file.lines);
  std::string received = format_time(now_us(), true);
  const char* params[] = {file.file_id.c_str(), file.node.c_str(), lines.c_str(), received.c_str()};
  // A concurrent insert of the same file_id waits for the other transaction here, then
  // does nothing: the primary key decides, exactly once.
  Result ins(PQexecParams(c,
                          "INSERT INTO files (file_id, node, events, received_at) VALUES ($1, $2, $3::bigint, $4) "
                          "ON CONFLICT (file_id) DO NOTHING RETURNING events",
                          4, nullptr, params, nullptr, nullptr, 0));
  if (PQresultStatus(ins.get()) != PGRES_TUPLES_OK) fail("insert file", ins.get());
  if (PQntuples(ins.get()) == 0) {
    Result sel(PQexecParams(c, "SELECT events FROM files WHERE file_id = $1", 1, nullptr, params, nullptr, nullptr, 0));
    if (PQresultStatus(sel.get()) != PGRES_TUPLES_OK || PQntuples(sel.get()) != 1) fail("select file", sel.get());
    IngestOutcome out{to_i64(PQgetvalue(sel.get(), 0, 0)), true};
    command("ROLLBACK", "rollback");
    tx.done = true;
    return out;
  }

  // COPY is the fast path for thousands of rows: one round trip, no per-row parsing of SQL.
  auto copy = [&](const std::string& sql, const std::string& data, const char* what) {
    Result start(PQexec(c, sql.c_str()));
    if (PQresultStatus(start.get()) != PGRES_COPY_IN) fail(what, start.get());
    // Sent in slices so a 100k-event file never needs one giant libpq buffer copy.
    constexpr size_t kSlice = 1 << 20;
    for (size_t off = 0; off < data.size(); off += kSlice) {
      size_t n = std::min(kSlice, data.size() - off);
      if (PQputCopyData(c, data.data() + off, static_cast<int>(n)) != 1) fail(what);
    }
    if (PQputCopyEnd(c, nullptr) != 1) fail(what);
    Result end(PQgetResult(c));
    if (PQresultStatus(end.get()) != PGRES_COMMAND_OK) fail(what, end.get());
    while (PGresult* extra = PQgetResult(c)) PQclear(extra);
  };

  if (!file.requests.empty()) {
    std::string data;
    data.reserve(file.requests.size() * 400);
    for (const RequestEvent& e : file.requests) {
      copy_text(data, file.file_id);
      auto text = [&](const std::string& v) {
        data += '\t';
        copy_text(data, v);
      };
      auto integer = [&](int64_t v) {
        data += '\t';
        data += std::to_string(v);
      };
      auto boolean = [&](bool v) { data += v ? "\tt" : "\tf"; };
      text(e.time);
      integer(e.ts_us);
      for (const std::string* s :
           {&e.request_id, &e.trace_id, &e.node, &e.api, &e.api_version, &e.base_path, &e.resource, &e.method,
            &e.app_id, &e.app_name, &e.consumer_key, &e.user, &e.key_type, &e.client_ip, &e.user_agent})
        text(*s);
      integer(e.status);
      integer(e.error_code);
      text(e.error_source);
      text(e.error_reason);
      boolean(e.throttled);
      text(e.throttle_level);
      boolean(e.cache_hit);
      for (int64_t v : {e.bytes_in, e.bytes_out, e.total_us, e.upstream_us, e.gateway_us}) integer(v);
      text(e.endpoint);
      text(e.api_owner);
      data += '\n';
    }
    copy("COPY events (file_id, " + event_column_list() + ") FROM STDIN", data, "copy events");
  }
  if (!file.gaps.empty()) {
    std::string data;
    for (const GapEvent& g : file.gaps) {
      copy_text(data, file.file_id);
      data += '\t';
      copy_text(data, g.time);
      data += '\t' + std::to_string(g.ts_us) + '\t';
      copy_text(data, g.node);
      data += '\t';
      copy_text(data, g.lost_file_id);
      data += '\t' + std::to_string(g.lost_events) + '\t';
      copy_text(data, g.reason);
      data += '\n';
    }
    copy("COPY gaps (file_id, time, ts_us, node, lost_file_id, lost_events, reason) FROM STDIN", data, "copy gaps");
  }
  command("COMMIT", "commit");
  tx.done = true;
  return {file.lines, false};
}

void PostgresStore::scan_requests(const TimeWindow& window, const std::function<void(const ScannedRequest&)>& row) {
  PGconn* c = conn();
  std::string since = window_param(window.since_us, INT64_MIN), until = window_param(window.until_us, INT64_MAX);
  const char* params[] = {since.c_str(), until.c_str()};
  std::string sql = std::string("SELECT ") + kScanColumns +
                    " FROM events WHERE ts_us >= $1::bigint AND ts_us < $2::bigint";
  if (!PQsendQueryParams(c, sql.c_str(), 2, nullptr, params, nullptr, nullptr, 0)) fail("scan events");
  // Single-row mode: rows arrive one PGresult at a time instead of the whole window being
  // buffered by libpq, so a report's memory is its aggregates, not the events.
  if (!PQsetSingleRowMode(c)) fail("single-row mode");
  ScannedRequest r;
  std::string error;
  while (PGresult* raw = PQgetResult(c)) {
    Result res(raw);
    ExecStatusType st = PQresultStatus(raw);
    if (st == PGRES_SINGLE_TUPLE) {
      if (!error.empty()) continue;  // drain after a callback failure
      r.ts_us = to_i64(PQgetvalue(raw, 0, 0));
      r.api.assign(PQgetvalue(raw, 0, 1), PQgetlength(raw, 0, 1));
      r.api_version.assign(PQgetvalue(raw, 0, 2), PQgetlength(raw, 0, 2));
      r.method.assign(PQgetvalue(raw, 0, 3), PQgetlength(raw, 0, 3));
      r.resource.assign(PQgetvalue(raw, 0, 4), PQgetlength(raw, 0, 4));
      r.app_id.assign(PQgetvalue(raw, 0, 5), PQgetlength(raw, 0, 5));
      r.app_name.assign(PQgetvalue(raw, 0, 6), PQgetlength(raw, 0, 6));
      r.user.assign(PQgetvalue(raw, 0, 7), PQgetlength(raw, 0, 7));
      r.status = to_i64(PQgetvalue(raw, 0, 8));
      r.error_source.assign(PQgetvalue(raw, 0, 9), PQgetlength(raw, 0, 9));
      r.error_reason.assign(PQgetvalue(raw, 0, 10), PQgetlength(raw, 0, 10));
      r.throttled = PQgetvalue(raw, 0, 11)[0] == 't';
      r.throttle_level.assign(PQgetvalue(raw, 0, 12), PQgetlength(raw, 0, 12));
      r.bytes_in = to_i64(PQgetvalue(raw, 0, 13));
      r.bytes_out = to_i64(PQgetvalue(raw, 0, 14));
      r.total_us = to_i64(PQgetvalue(raw, 0, 15));
      r.api_owner.assign(PQgetvalue(raw, 0, 16), PQgetlength(raw, 0, 16));
      row(r);
    } else if (st != PGRES_TUPLES_OK && error.empty()) {
      error = PQresultErrorMessage(raw);
      if (error.empty()) error = "scan failed";
    }
  }
  if (!error.empty()) throw StoreUnavailable("postgresql: scan events: " + error);
}

std::vector<GapEvent> PostgresStore::gaps(const TimeWindow& window) {
  PGconn* c = conn();
  std::string since = window_param(window.since_us, INT64_MIN), until = window_param(window.until_us, INT64_MAX);
  const char* params[] = {since.c_str(), until.c_str()};
  Result r(PQexecParams(c,
                        "SELECT time, ts_us, node, lost_file_id, lost_events, reason FROM gaps "
                        "WHERE ts_us >= $1::bigint AND ts_us < $2::bigint ORDER BY ts_us, lost_file_id",
                        2, nullptr, params, nullptr, nullptr, 0));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) fail("scan gaps", r.get());
  std::vector<GapEvent> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    GapEvent& g = out.emplace_back();
    g.time = PQgetvalue(r.get(), i, 0);
    g.ts_us = to_i64(PQgetvalue(r.get(), i, 1));
    g.node = PQgetvalue(r.get(), i, 2);
    g.lost_file_id = PQgetvalue(r.get(), i, 3);
    g.lost_events = to_i64(PQgetvalue(r.get(), i, 4));
    g.reason = PQgetvalue(r.get(), i, 5);
  }
  return out;
}

std::optional<std::pair<int64_t, int64_t>> PostgresStore::request_span(const TimeWindow& window) {
  PGconn* c = conn();
  std::string since = window_param(window.since_us, INT64_MIN), until = window_param(window.until_us, INT64_MAX);
  const char* params[] = {since.c_str(), until.c_str()};
  Result r(PQexecParams(c, "SELECT MIN(ts_us), MAX(ts_us) FROM events WHERE ts_us >= $1::bigint AND ts_us < $2::bigint",
                        2, nullptr, params, nullptr, nullptr, 0));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1) fail("span", r.get());
  if (PQgetisnull(r.get(), 0, 0)) return std::nullopt;
  return std::make_pair(to_i64(PQgetvalue(r.get(), 0, 0)), to_i64(PQgetvalue(r.get(), 0, 1)));
}

}  // namespace postern::collector
