#pragma once
// The PostgreSQL server of the key manager's integration tests: started once per test
// process (initdb takes seconds), a fresh database per test.
#include <filesystem>
#include <memory>
#include <string>

#include "keymanager/postgres_key_store.h"
#include "postgres_server.h"

namespace postern::keymanager::testing {

using itest::PostgresServer;

struct PostgresBackend {
  static std::unique_ptr<PostgresServer>& server() {
    static std::unique_ptr<PostgresServer> s;
    return s;
  }
  static std::string start() {
    if (server()) return "";
    if (!std::filesystem::exists(std::string(PostgresServer::kBin) + "/postgres"))
      return std::string(PostgresServer::kBin) + "/postgres is missing (Debian package postgresql)";
    try {
      server() = std::make_unique<PostgresServer>();
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  }
  // The server outlives every suite (both use it) and stops at exit.
  static void stop() {}
  static std::string fresh_database() {
    static int n = 0;
    return server()->create_database("km_" + std::to_string(++n));
  }
  static std::unique_ptr<Store> open(const std::string& db) { return std::make_unique<PostgresKeyStore>(db); }
};

}  // namespace postern::keymanager::testing
