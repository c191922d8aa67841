#include "keymanager/sqlite_key_store.h"

#include <sqlite3.h>

#include <memory>

namespace postern::keymanager {
namespace {

using Database = std::unique_ptr<sqlite3, decltype(&sqlite3_close)>;
using Statement = std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>;

class SqliteConnection final : public SqlConnection {
 public:
  explicit SqliteConnection(const std::string& path);

  SqlRows exec(std::string_view what, const char* sql, std::initializer_list<SqlParam> params) override;
  // IMMEDIATE: the write lock is taken (or waited for) now, not at the first write, where a
  // busy database would fail the transaction instead of waiting.
  void begin() override { exec("begin transaction", "BEGIN IMMEDIATE", {}); }
  void commit() override { exec("commit", "COMMIT", {}); }
  void rollback() noexcept override { sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr); }
  void lock_schema() override {}  // BEGIN IMMEDIATE already keeps every other writer out

 private:
  void bind(sqlite3_stmt* st, std::string_view what, std::initializer_list<SqlParam> params);
  [[noreturn]] void fail(std::string_view what);
  Database db_{nullptr, &sqlite3_close};
};

SqliteConnection::SqliteConnection(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  db_.reset(db);
  if (rc != SQLITE_OK)
    throw StoreError("sqlite: cannot open " + path + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
  sqlite3_busy_timeout(db, 10000);
  // WAL: readers never wait for the writer. synchronous=FULL: a refresh token marked used
  // stays used after a power loss, or a replay could succeed. Foreign keys carry the
  // cascades (schema.h) and are off by default in SQLite.
  exec("set journal mode", "PRAGMA journal_mode=WAL", {});
  exec("set synchronous", "PRAGMA synchronous=FULL", {});
  exec("enable foreign keys", "PRAGMA foreign_keys=ON", {});
}

SqlRows SqliteConnection::exec(std::string_view what, const char* sql, std::initializer_list<SqlParam> params) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(), sql, -1, &raw, nullptr) != SQLITE_OK) fail(what);
  Statement st(raw, &sqlite3_finalize);
  bind(st.get(), what, params);
  SqlRows out;
  const int columns = sqlite3_column_count(st.get());
  for (;;) {
    int rc = sqlite3_step(st.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) fail(what);
    std::vector<std::string>& row = out.rows.emplace_back();
    for (int c = 0; c < columns; ++c) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), c));
      row.emplace_back(text ? text : "", static_cast<size_t>(sqlite3_column_bytes(st.get(), c)));
    }
  }
  // sqlite3_changes keeps the count of the last write; a query changed nothing.
  if (!sqlite3_stmt_readonly(st.get())) out.affected = sqlite3_changes(db_.get());
  return out;
}

// SQLite reads "$1" as a parameter named "$1": each value is bound by that name, so the
// order in which placeholders appear in the SQL does not matter.
void SqliteConnection::bind(sqlite3_stmt* st, std::string_view what, std::initializer_list<SqlParam> params) {
  int n = 0;
  for (const SqlParam& p : params) {
    std::string name = "$" + std::to_string(++n);
    int index = sqlite3_bind_parameter_index(st, name.c_str());
    if (index == 0) throw StoreError(std::string(what) + ": the statement has no placeholder " + name);
    int rc;
    if (const auto* v = std::get_if<int64_t>(&p)) {
      rc = sqlite3_bind_int64(st, index, *v);
    } else {
      std::string_view s = std::get<std::string_view>(p);
      rc = sqlite3_bind_text(st, index, s.data() ? s.data() : "", static_cast<int>(s.size()), SQLITE_STATIC);
    }
    if (rc != SQLITE_OK) fail(what);
  }
  if (sqlite3_bind_parameter_count(st) != n)
    throw StoreError(std::string(what) + ": the statement has more placeholders than values");
}

void SqliteConnection::fail(std::string_view what) {
  int code = sqlite3_extended_errcode(db_.get());
  std::string message = sqlite3_errmsg(db_.get());
  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
    throw StoreConflict(std::string(what) + ": already exists (sqlite: " + message + ")");
  throw StoreError("sqlite: " + std::string(what) + ": " + message);
}

}  // namespace

SqliteKeyStore::SqliteKeyStore(const std::string& path) : SqlKeyStore(std::make_unique<SqliteConnection>(path)) {}

}  // namespace postern::keymanager
