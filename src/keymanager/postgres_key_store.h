#pragma once
// The key manager's store on PostgreSQL: for several key-manager replicas behind a load
// balancer, all on one database. Everything two replicas can race on is decided by the
// database (store.h), and the schema is created under an advisory lock, so replicas may
// start together on an empty database.
#include <string>

#include "keymanager/sql_key_store.h"

namespace postern::keymanager {

class PostgresKeyStore final : public SqlKeyStore {
 public:
  // `conninfo`: a libpq connection string or URL ("postgresql://user@host/db"). Connects
  // (10 s timeout unless the string sets connect_timeout) and creates the schema when
  // missing. A lost connection is re-opened on the next call, never inside a transaction.
  // Throws StoreError.
  explicit PostgresKeyStore(const std::string& conninfo);
};

}  // namespace postern::keymanager
