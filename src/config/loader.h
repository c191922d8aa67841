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
  std::string file;  // path as given by the user (relative to the cwd when it was)
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown
  std::string message;  // what is wrong and how to fix it
  std::string format() const;  // "file:line:col: message"
};

struct LoadResult {
  std::shared_ptr<const Snapshot> snapshot;  // null when diagnostics is non-empty
  std::vector<Diagnostic> diagnostics;
};

// Loads `project_dir`. Resolves endpoint and listener host names (getaddrinfo).
LoadResult load_project(const std::filesystem::path& project_dir);

}  // namespace postern::config
