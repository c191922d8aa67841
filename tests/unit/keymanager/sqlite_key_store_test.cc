// The Store contract on SqliteKeyStore (a temp file per test), and what only SQLite has.
#include "keymanager/sqlite_key_store.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>

#include "store_contract.h"

namespace postern::keymanager::testing {
namespace {

namespace fs = std::filesystem;

// One temp directory per test process, one database file per test.
struct SqliteBackend {
  static fs::path& dir() {
    static fs::path d;
    return d;
  }
  static std::string start() {
    std::string tmpl = (fs::temp_directory_path() / "postern-km-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) return "mkdtemp failed";
    dir() = tmpl;
    return "";
  }
  static void stop() {
    std::error_code ec;
    fs::remove_all(dir(), ec);
  }
  static std::string fresh_database() {
    static int n = 0;
    return (dir() / ("km-" + std::to_string(++n) + ".db")).string();
  }
  static std::unique_ptr<Store> open(const std::string& db) { return std::make_unique<SqliteKeyStore>(db); }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, StoreContract, SqliteBackend);

class SqliteKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(SqliteBackend::start(), ""); }
  void TearDown() override { SqliteBackend::stop(); }
  // Runs SQL on the file directly, as another program (or an older build) would.
  void raw_exec(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    std::string message = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message;
  }
};

TEST_F(SqliteKeyStoreTest, DatabaseFromANewerBuildIsRefused) {
  std::string path = SqliteBackend::fresh_database();
  { SqliteKeyStore created(path); }
  raw_exec(path, "UPDATE schema_version SET version = 99");
  try {
    SqliteKeyStore reopened(path);
    FAIL() << "opened a schema version 99 database";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 99"), std::string::npos) << e.what();
  }
}

TEST_F(SqliteKeyStoreTest, UnopenableFileNamesThePath) {
  const std::string path = "/nonexistent-dir/km.db";
  try {
    SqliteKeyStore store(path);
    FAIL() << "opened " << path;
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST_F(SqliteKeyStoreTest, FileIsInWalMode) {
  std::string path = SqliteBackend::fresh_database();
  SqliteKeyStore store(path);
  EXPECT_TRUE(fs::exists(path + "-wal"));
}

}  // namespace
}  // namespace postern::keymanager::testing
