#include "collector/event_store.h"

#include "collector/postgres_store.h"
#include "collector/sqlite_store.h"

namespace postern::collector {

std::unique_ptr<EventStore> open_event_store(const std::string& url) {
  auto starts = [&](std::string_view p) { return url.compare(0, p.size(), p) == 0; };
  // libpq parses postgresql:// URIs itself (user, password, host, port, dbname, options).
  if (starts("postgresql://") || starts("postgres://")) return std::make_unique<PostgresStore>(url);
  if (starts("sqlite://")) {
    std::string path = url.substr(9);  // sqlite:///abs/path.db -> /abs/path.db
    if (path.empty()) throw StoreUnavailable("sqlite: no path in " + url);
    return std::make_unique<SqliteStore>(path);
  }
  if (url.find("://") != std::string::npos) throw StoreUnavailable("unsupported database URL: " + url);
  return std::make_unique<SqliteStore>(url);
}

}  // namespace postern::collector
