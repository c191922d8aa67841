#include "collector/sqlite_store.h"

#include "collector/schema.h"
#include "collector/time_util.h"

namespace postern::collector {
namespace {

// A prepared statement, finalized on every path out (exceptions included).
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s_, nullptr) != SQLITE_OK)
      throw StoreUnavailable(std::string("sqlite: ") + sqlite3_errmsg(db));
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt* get() const { return s_; }
  void text(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void integer(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }

 private:
  sqlite3_stmt* s_ = nullptr;
};

// Binds the window's bounds to ?1 and ?2 (open ends as the extreme integers).
void bind_window(Stmt& st, const TimeWindow& w) {
  st.integer(1, w.since_us.value_or(INT64_MIN));
  st.integer(2, w.until_us.value_or(INT64_MAX));
}

std::string col_text(sqlite3_stmt* s, int i) {
  const unsigned char* p = sqlite3_column_text(s, i);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s, i)))
           : std::string();
}

void assign_text(sqlite3_stmt* s, int i, std::string& out) {
  const unsigned char* p = sqlite3_column_text(s, i);
  if (p) out.assign(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s, i)));
  else out.clear();
}

// Rolls back unless committed: a thrown statement error leaves nothing half-stored.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {}
  ~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void finish() { done_ = true; }

 private:
  sqlite3* db_;
  bool done_ = false;
};

}  // namespace

SqliteStore::SqliteStore(const std::string& path) {
  int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreUnavailable("sqlite: cannot open " + path + ": " + msg);
  }
  // A report reading while the collector writes waits instead of failing at once.
  sqlite3_busy_timeout(db_, 10000);
  try {
    // WAL: readers (reports) never block the writer; synchronous=FULL so a 200 answered
    // after COMMIT survives a power loss (the gateway deletes its copy on that 200).
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");
    exec("PRAGMA foreign_keys=ON");
    exec(schema_ddl("INTEGER", "INTEGER").c_str());
    migrate();
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

SqliteStore::~SqliteStore() { sqlite3_close(db_); }

void SqliteStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw StoreUnavailable("sqlite: " + msg);
  }
}

bool SqliteStore::has_event_column(const char* name) {
  Stmt st(db_, "SELECT 1 FROM pragma_table_info('events') WHERE name = ?1");
  std::string n = name;
  st.text(1, n);
  int rc = sqlite3_step(st.get());
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail("read the columns of events");
  return rc == SQLITE_ROW;
}

// Adds the columns a database created by an older collector lacks. Nothing is written when
// none is missing (a report may open a read-only copy); otherwise under BEGIN IMMEDIATE,
// so two collectors opening the same old file cannot both add a column.
void SqliteStore::migrate() {
  bool missing = false;
  for (const AddedColumn& c : kAddedEventColumns) missing |= !has_event_column(c.name);
  if (!missing) return;
  exec("BEGIN IMMEDIATE");
  Transaction tx(db_);
  for (const AddedColumn& c : kAddedEventColumns) {
    if (!has_event_column(c.name))
      exec((std::string("ALTER TABLE events ADD COLUMN ") + c.name + " " + c.definition).c_str());
  }
  exec("COMMIT");
  tx.finish();
}

void SqliteStore::fail(const char* what) {
  throw StoreUnavailable(std::string("sqlite: ") + what + ": " + sqlite3_errmsg(db_));
}

IngestOutcome SqliteStore::ingest(const EventFile& file) {
  // IMMEDIATE takes the write lock now, so two collectors on one file cannot both decide
  // a file_id is new.
  exec("BEGIN IMMEDIATE");
  Transaction tx(db_);
  {
    Stmt ins(db_,
             "INSERT INTO files (file_id, node, events, received_at) VALUES (?1, ?2, ?3, ?4) "
             "ON CONFLICT (file_id) DO NOTHING");
    std::string received = format_time(now_us(), true);
    ins.text(1, file.file_id);
    ins.text(2, file.node);
    ins.integer(3, file.lines);
    ins.text(4, received);
    if (sqlite3_step(ins.get()) != SQLITE_DONE) fail("insert file");
  }
  if (sqlite3_changes(db_) == 0) {
    IngestOutcome out{0, true};
    {
      Stmt sel(db_, "SELECT events FROM files WHERE file_id = ?1");
      sel.text(1, file.file_id);
      if (sqlite3_step(sel.get()) != SQLITE_ROW) fail("select file");
      out.events = sqlite3_column_int64(sel.get(), 0);
    }
    exec("ROLLBACK");
    tx.finish();
    return out;
  }
  {
    std::string sql = "INSERT INTO events (file_id, " + event_column_list() + ") VALUES (?1";
    for (int i = 0; i < kEventColumnCount; ++i) sql += ", ?" + std::to_string(i + 2);
    sql += ")";
    Stmt ins(db_, sql);
    ins.text(1, file.file_id);
    for (const RequestEvent& e : file.requests) {
      int i = 2;
      ins.text(i++, e.time);
      ins.integer(i++, e.ts_us);
      for (const std::string* s :
           {&e.request_id, &e.trace_id, &e.node, &e.api, &e.api_version, &e.base_path, &e.resource, &e.method,
            &e.app_id, &e.app_name, &e.consumer_key, &e.user, &e.key_type, &e.client_ip, &e.user_agent})
        ins.text(i++, *s);
      ins.integer(i++, e.status);
      ins.integer(i++, e.error_code);
      ins.text(i++, e.error_source);
      ins.text(i++, e.error_reason);
      ins.integer(i++, e.throttled);
      ins.text(i++, e.throttle_level);
      ins.integer(i++, e.cache_hit);
      for (int64_t v : {e.bytes_in, e.bytes_out, e.total_us, e.upstream_us, e.gateway_us}) ins.integer(i++, v);
      ins.text(i++, e.endpoint);
      ins.text(i++, e.api_owner);
      if (sqlite3_step(ins.get()) != SQLITE_DONE) fail("insert event");
      sqlite3_reset(ins.get());
    }
  }
  {
    Stmt ins(db_,
             "INSERT INTO gaps (file_id, time, ts_us, node, lost_file_id, lost_events, reason) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    ins.text(1, file.file_id);
    for (const GapEvent& g : file.gaps) {
      ins.text(2, g.time);
      ins.integer(3, g.ts_us);
      ins.text(4, g.node);
      ins.text(5, g.lost_file_id);
      ins.integer(6, g.lost_events);
      ins.text(7, g.reason);
      if (sqlite3_step(ins.get()) != SQLITE_DONE) fail("insert gap");
      sqlite3_reset(ins.get());
    }
  }
  exec("COMMIT");
  tx.finish();
  return {file.lines, false};
}

void SqliteStore::scan_requests(const TimeWindow& window, const std::function<void(const ScannedRequest&)>& row) {
  Stmt st(db_, std::string("SELECT ") + kScanColumns + " FROM events WHERE ts_us >= ?1 AND ts_us < ?2");
  bind_window(st, window);
  ScannedRequest r;
  sqlite3_stmt* s = st.get();
  for (;;) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) fail("scan events");
    r.ts_us = sqlite3_column_int64(s, 0);
    assign_text(s, 1, r.api);
    assign_text(s, 2, r.api_version);
    assign_text(s, 3, r.method);
    assign_text(s, 4, r.resource);
    assign_text(s, 5, r.app_id);
    assign_text(s, 6, r.app_name);
    assign_text(s, 7, r.user);
    r.status = sqlite3_column_int64(s, 8);
    assign_text(s, 9, r.error_source);
    assign_text(s, 10, r.error_reason);
    r.throttled = sqlite3_column_int64(s, 11) != 0;
    assign_text(s, 12, r.throttle_level);
    r.bytes_in = sqlite3_column_int64(s, 13);
    r.bytes_out = sqlite3_column_int64(s, 14);
    r.total_us = sqlite3_column_int64(s, 15);
    assign_text(s, 16, r.api_owner);
    row(r);
  }
}

std::vector<GapEvent> SqliteStore::gaps(const TimeWindow& window) {
  Stmt st(db_,
          "SELECT time, ts_us, node, lost_file_id, lost_events, reason FROM gaps "
          "WHERE ts_us >= ?1 AND ts_us < ?2 ORDER BY ts_us, lost_file_id");
  bind_window(st, window);
  std::vector<GapEvent> out;
  for (;;) {
    int rc = sqlite3_step(st.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) fail("scan gaps");
    GapEvent& g = out.emplace_back();
    g.time = col_text(st.get(), 0);
    g.ts_us = sqlite3_column_int64(st.get(), 1);
    g.node = col_text(st.get(), 2);
    g.lost_file_id = col_text(st.get(), 3);
    g.lost_events = sqlite3_column_int64(st.get(), 4);
    g.reason = col_text(st.get(), 5);
  }
  return out;
}

std::optional<std::pair<int64_t, int64_t>> SqliteStore::request_span(const TimeWindow& window) {
  Stmt st(db_, "SELECT MIN(ts_us), MAX(ts_us) FROM events WHERE ts_us >= ?1 AND ts_us < ?2");
  bind_window(st, window);
  if (sqlite3_step(st.get()) != SQLITE_ROW) fail("span");
  if (sqlite3_column_type(st.get(), 0) == SQLITE_NULL) return std::nullopt;
  return std::make_pair(sqlite3_column_int64(st.get(), 0), sqlite3_column_int64(st.get(), 1));
}

}  // namespace postern::collector
