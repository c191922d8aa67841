#include "bundle/path_rules.h"

#include <string>

#include "bundle/limits.h"

namespace postern::bundle {

namespace {

bool allowed_char(char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  return c == '.' || c == '_' || c == '-' || c == '+' || c == '@' || c == '=' || c == ',';
}

Status bad(std::string_view path, std::string_view why) {
  return Status::error("path '" + std::string(path.substr(0, 300)) + "' " + std::string(why));
}

}  // namespace

Status check_bundle_path(std::string_view path) {
  if (path.empty()) return bad(path, "is empty");
  if (path.size() > kMaxPathBytes) return bad(path, "is longer than " + std::to_string(kMaxPathBytes) + " bytes");
  if (path.front() == '/') return bad(path, "is absolute");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty()) return bad(path, "has an empty component");
    if (part == "." || part == "..") return bad(path, "has a '.' or '..' component");
    if (part.front() == '-') return bad(path, "has a component starting with '-'");
    for (char c : part) {
      if (!allowed_char(c)) return bad(path, "has a character outside [A-Za-z0-9._+@=,-]");
    }
    start = end + 1;
  }
  return {};
}

}  // namespace postern::bundle
