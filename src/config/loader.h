#pragma once
// Loads a project (postern.yaml + apis/*.yaml|json) into a Snapshot. Never half-applies:
// either a complete Snapshot or every error found, each with file:line:col and a hint.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/snapshot.h"

namespace postern::config {

struct Diagnostic {
  std::string file;            // path as given by the user (relative to the cwd when it was)
  int line = 0;                // 1-based; 0 when unknown
  int column = 0;              // 1-based; 0 when unknown
  std::string message;         // what is wrong and how to fix it
  bool warning = false;        // true: the project loads, but something in it is not applied
  std::string format() const;  // "file:line:col: message", "file:line:col: warning: message"
};

struct LoadResult {
  std::shared_ptr<const Snapshot> snapshot;  // null when diagnostics is non-empty
  std::vector<Diagnostic> diagnostics;       // errors
  // What loads but is not enforced (e.g. x-wso2-cors), sorted like the errors. Filled
  // whether or not the load succeeded; `postern validate` prints them, `postern run` logs
  // them at load and reload, `postern validate --strict` refuses a project that has any.
  std::vector<Diagnostic> warnings;
};

// Loads `project_dir`. Resolves listener host names (getaddrinfo) and backend host names
// (c-ares with the `dns:` settings; one that does not resolve is a warning, not an error).
LoadResult load_project(const std::filesystem::path& project_dir);

}  // namespace postern::config
