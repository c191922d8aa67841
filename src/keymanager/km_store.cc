#include "keymanager/km_store.h"

#include "keymanager/postgres_key_store.h"
#include "keymanager/sqlite_key_store.h"

namespace postern::keymanager {

std::unique_ptr<Store> open_store(const std::string& url) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://"))
    return std::make_unique<PostgresKeyStore>(url);
  std::string path = url.starts_with("sqlite://") ? url.substr(9) : url;
  return std::make_unique<SqliteKeyStore>(path);
}

}  // namespace postern::keymanager
