// The Store contract (tests/unit/keymanager/store_contract.h) on PostgresKeyStore against a
// real PostgreSQL server started for this process, a fresh database per test; and what
// only matters with several key-manager replicas on one database.
//
// One ctest entry runs the whole executable, so the server is started once (initdb takes
// seconds), not once per test.
#include <gtest/gtest.h>

#include <iostream>

#include "keymanager/postgres_key_store.h"
#include "keymanager_store_backend.h"
#include "postgres_server.h"
#include "store_contract.h"

namespace postern::keymanager::testing {
namespace {

using itest::PostgresServer;

INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, StoreContract, PostgresBackend);

class PostgresKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(PostgresBackend::start(), ""); }
  void TearDown() override {
    if (HasFailure()) std::cerr << "----- postgres log -----\n" << PostgresBackend::server()->log() << "-----\n";
  }
  static itest::CommandResult psql(const std::string& url, const std::string& sql) {
    return itest::run_command(std::string(PostgresServer::kBin) + "/psql -v ON_ERROR_STOP=1 -At " +
                                  itest::shell_quote(url) + " -c " + itest::shell_quote(sql),
                              60);
  }
};

// Replicas started together on an empty database: the advisory lock lets one create the
// schema while the others wait, so none fails on a half-created table.
TEST_F(PostgresKeyStoreTest, ReplicasStartingTogetherCreateTheSchemaOnce) {
  const std::string db = PostgresBackend::fresh_database();
  constexpr int kReplicas = 6;
  std::vector<std::string> errors(kReplicas);
  std::latch start(kReplicas);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      try {
        PostgresKeyStore store(db);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& e : errors) EXPECT_EQ(e, "");
  itest::CommandResult version = psql(db, "SELECT count(*), max(version) FROM schema_version");
  EXPECT_EQ(version.output, "1|1\n");
}

TEST_F(PostgresKeyStoreTest, DatabaseFromANewerBuildIsRefused) {
  const std::string db = PostgresBackend::fresh_database();
  { PostgresKeyStore created(db); }
  ASSERT_EQ(psql(db, "UPDATE schema_version SET version = 99").exit_code, 0);
  try {
    PostgresKeyStore reopened(db);
    FAIL() << "opened a schema version 99 database";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 99"), std::string::npos) << e.what();
  }
}

TEST_F(PostgresKeyStoreTest, UnreachableServerIsAClearError) {
  try {
    PostgresKeyStore store("postgresql://postgres@127.0.0.1:" + std::to_string(itest::free_port()) +
                           "/km?connect_timeout=5");
    FAIL() << "connected to a closed port";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect"), std::string::npos) << e.what();
  }
}

// The server restarts under a running store: the next call reconnects.
TEST_F(PostgresKeyStoreTest, ReconnectsAfterTheServerRestarts) {
  const std::string db = PostgresBackend::fresh_database();
  PostgresKeyStore store(db);
  Application app = store.create_application({.id = "", .name = "Shop", .tier = "", .owner = "", .created_at = 1});
  PostgresBackend::server()->stop();
  EXPECT_THROW(store.get_application(app.id), StoreError);
  PostgresBackend::server()->start();
  std::optional<Application> read = store.get_application(app.id);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->name, "Shop");
}

}  // namespace
}  // namespace postern::keymanager::testing
