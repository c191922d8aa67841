#pragma once
// Internal: the little SqlKeyStore needs from a database driver. Both drivers
// (sqlite_key_store.cc, postgres_key_store.cc) run the same SQL text, written in the
// dialect SQLite and PostgreSQL share: $1…$n placeholders, ON CONFLICT, RETURNING.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace postern::keymanager {

// A value bound to a placeholder. Strings are bound as text, never spliced into SQL.
using SqlParam = std::variant<std::string_view, int64_t>;

// A statement's outcome. Every value is in its text form (integers in decimal, booleans
// as "1"/"0" from SQLite and "t"/"f" from PostgreSQL), so both drivers fill it the same way.
struct SqlRows {
  std::vector<std::vector<std::string>> rows;
  int64_t affected = 0;  // rows inserted, updated or deleted; 0 for a query

  bool empty() const { return rows.empty(); }
  size_t size() const { return rows.size(); }
  const std::string& text(size_t row, size_t column) const { return rows.at(row).at(column); }
  int64_t integer(size_t row, size_t column) const;  // throws StoreError when not a number
  bool boolean(size_t row, size_t column) const;
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  // Runs one statement with `params` bound to $1…$n. `what` names the operation for error
  // messages. Throws StoreConflict when a unique or primary key refuses the write, else
  // StoreError.
  virtual SqlRows exec(std::string_view what, const char* sql, std::initializer_list<SqlParam> params) = 0;
  // A write transaction: taken when it begins, so two writers wait for each other instead
  // of failing at commit.
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  // Inside a transaction: waits until no other connection is creating the schema.
  virtual void lock_schema() = 0;
};

}  // namespace postern::keymanager
