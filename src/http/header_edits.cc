#include "http/header_edits.h"

#include "core/strings.h"

namespace postern::http {

void HeaderEdits::add(std::string_view name, std::string_view value) {
  added_.append(name);
  added_ += ": ";
  added_.append(value);
  added_ += "\r\n";
}

void HeaderEdits::remove(std::string_view name) {
  if (removes(name)) return;
  std::string& n = removed_.emplace_back(name);
  for (char& c : n) c = (c >= 'A' && c <= 'Z') ? char(c | 0x20) : c;
}

bool HeaderEdits::removes(std::string_view name) const {
  for (const auto& r : removed_) {
    if (r.size() == name.size() && iequals(r, name)) return true;
  }
  return false;
}

bool HeaderEdits::adds(std::string_view name) const {
  std::string_view rest = added_;
  while (!rest.empty()) {
    size_t colon = rest.find(':');
    if (colon == name.size() && iequals(rest.substr(0, colon), name)) return true;
    size_t eol = rest.find("\r\n");
    if (eol == std::string_view::npos) break;
    rest.remove_prefix(eol + 2);
  }
  return false;
}

}  // namespace postern::http
