#pragma once
// `postern init DIR [--openapi FILE]`: scaffolds a project that `postern run DIR` serves.
#include <filesystem>
#include <optional>

namespace postern::cli {

// Creates DIR/postern.yaml and DIR/apis/<name>.yaml: a copy of `openapi_file` (name = its
// stem, extension kept) or a small example API pointing at the echo backend
// (http://127.0.0.1:8080, `postern echo`). Refuses to overwrite an existing postern.yaml.
// Prints what it created and the next commands. Returns the process exit code (0 or 1).
int run_init(const std::filesystem::path& dir, const std::optional<std::filesystem::path>& openapi_file);

}  // namespace postern::cli
