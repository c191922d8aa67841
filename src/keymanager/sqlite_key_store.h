#pragma once
// The key manager's store in one SQLite file: the default, for a single key manager.
#include <string>

#include "keymanager/sql_key_store.h"

namespace postern::keymanager {

class SqliteKeyStore final : public SqlKeyStore {
 public:
  // Opens (or creates) the file in WAL mode, and creates the schema when missing. Several
  // stores, in this process or others, may open one file: writers wait for each other up to
  // 10 s. Throws StoreError.
  explicit SqliteKeyStore(const std::string& path);
};

}  // namespace postern::keymanager
