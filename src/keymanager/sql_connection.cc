#include "keymanager/sql_connection.h"

#include <charconv>

#include "keymanager/store.h"

namespace postern::keymanager {

int64_t SqlRows::integer(size_t row, size_t column) const {
  const std::string& s = text(row, column);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty())
    throw StoreError("the database returned '" + s + "' where a number was expected");
  return v;
}

bool SqlRows::boolean(size_t row, size_t column) const {
  const std::string& s = text(row, column);
  if (s == "1" || s == "t" || s == "true") return true;
  if (s == "0" || s == "f" || s == "false") return false;
  throw StoreError("the database returned '" + s + "' where a boolean was expected");
}

}  // namespace postern::keymanager
