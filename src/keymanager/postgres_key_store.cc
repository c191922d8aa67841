#include "keymanager/postgres_key_store.h"

#include <libpq-fe.h>

#include <memory>

namespace postern::keymanager {
namespace {

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

// pg_advisory_xact_lock key for creating the schema: a constant no other program on the
// database is likely to use ("pstrn-km" as 8 ASCII bytes, big-endian).
constexpr const char* kLockSchemaSql = "SELECT pg_advisory_xact_lock(8102948189393218413)";
constexpr const char* kUniqueViolation = "23505";

std::string trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The server's message on one line ("duplicate key value violates unique constraint
// \"applications_name_key\" (Key (name)=(Shop) already exists.)"), else libpq's own (a lost
// connection).
std::string error_message(const PGresult* result, PGconn* conn) {
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  if (!primary) return trimmed(conn ? PQerrorMessage(conn) : "no connection");
  std::string message = primary;
  if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL)) message += " (" + trimmed(detail) + ")";
  return message;
}

class PostgresConnection final : public SqlConnection {
 public:
  explicit PostgresConnection(std::string conninfo) : conninfo_(std::move(conninfo)) {
    try {
      conn();
    } catch (...) {
      PQfinish(conn_);  // no destructor runs for a constructor that throws
      throw;
    }
  }
  ~PostgresConnection() override { PQfinish(conn_); }
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  SqlRows exec(std::string_view what, const char* sql, std::initializer_list<SqlParam> params) override;
  void begin() override {
    exec("begin transaction", "BEGIN", {});
    in_transaction_ = true;
  }
  void commit() override {
    // Still "in the transaction" while COMMIT runs: a connection lost now must fail the
    // commit, not reconnect and report a COMMIT of nothing as success.
    exec("commit", "COMMIT", {});
    in_transaction_ = false;
  }
  void rollback() noexcept override;
  void lock_schema() override { exec("lock the schema", kLockSchemaSql, {}); }

 private:
  PGconn* conn();  // connected, or throws
  [[noreturn]] void fail(std::string_view what, const PGresult* result);

  std::string conninfo_;
  PGconn* conn_ = nullptr;
  // A connection lost inside a transaction must not be silently replaced: the statements
  // after it would run outside the transaction.
  bool in_transaction_ = false;
};

PGconn* PostgresConnection::conn() {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return conn_;
  if (in_transaction_) throw StoreError("postgresql: the connection was lost inside a transaction");
  if (conn_) {
    PQreset(conn_);
  } else {
    // Keywords after "dbname" override those in the string, so the default timeout goes
    // first and a connect_timeout in the string still wins.
    const char* keys[] = {"connect_timeout", "dbname", nullptr};
    const char* values[] = {"10", conninfo_.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (!conn_) throw StoreError("postgresql: cannot connect: out of memory");
  }
  if (PQstatus(conn_) != CONNECTION_OK)
    throw StoreError("postgresql: cannot connect: " + trimmed(PQerrorMessage(conn_)));
  // Quiet the NOTICEs "relation already exists, skipping" of CREATE … IF NOT EXISTS.
  Result quiet(PQexec(conn_, "SET client_min_messages = warning"), &PQclear);
  if (PQresultStatus(quiet.get()) != PGRES_COMMAND_OK) fail("configure the session", quiet.get());
  return conn_;
}

// Values go out as text parameters and the server infers their types from the columns
// they meet (BIGINT, BOOLEAN accepts "0"/"1"), so no value is ever part of the SQL text.
SqlRows PostgresConnection::exec(std::string_view what, const char* sql, std::initializer_list<SqlParam> params) {
  PGconn* c = conn();
  std::vector<std::string> texts;  // NUL-terminated copies: text parameters are C strings
  texts.reserve(params.size());
  for (const SqlParam& p : params) {
    if (const auto* v = std::get_if<int64_t>(&p)) texts.push_back(std::to_string(*v));
    else texts.emplace_back(std::get<std::string_view>(p));
  }
  std::vector<const char*> values;
  for (const std::string& t : texts) values.push_back(t.c_str());
  Result r(PQexecParams(c, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0),
           &PQclear);
  ExecStatusType status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(what, r.get());
  SqlRows out;
  const int rows = PQntuples(r.get()), columns = PQnfields(r.get());
  for (int i = 0; i < rows; ++i) {
    std::vector<std::string>& row = out.rows.emplace_back();
    for (int j = 0; j < columns; ++j)
      row.emplace_back(PQgetvalue(r.get(), i, j), static_cast<size_t>(PQgetlength(r.get(), i, j)));
  }
  // The count of the command tag ("UPDATE 1", "INSERT 0 1"); a query ("SELECT 3") changed
  // nothing.
  std::string_view tag = PQcmdStatus(r.get());
  const char* count = PQcmdTuples(r.get());
  if (*count && !tag.starts_with("SELECT")) out.affected = std::stoll(count);
  return out;
}

// When even ROLLBACK fails (the connection died) the connection is dropped: the next call
// opens a fresh one rather than reuse one in an unknown state.
void PostgresConnection::rollback() noexcept {
  in_transaction_ = false;
  if (!conn_) return;
  bool ok = false;
  if (PQstatus(conn_) == CONNECTION_OK) {
    Result r(PQexec(conn_, "ROLLBACK"), &PQclear);
    ok = PQresultStatus(r.get()) == PGRES_COMMAND_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }
  if (!ok) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
}

void PostgresConnection::fail(std::string_view what, const PGresult* result) {
  std::string message = error_message(result, conn_);
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  if (state && std::string_view(state) == kUniqueViolation)
    throw StoreConflict(std::string(what) + ": already exists (postgresql: " + message + ")");
  throw StoreError("postgresql: " + std::string(what) + ": " + message);
}

}  // namespace

PostgresKeyStore::PostgresKeyStore(const std::string& conninfo)
    : SqlKeyStore(std::make_unique<PostgresConnection>(conninfo)) {}

}  // namespace postern::keymanager
