#pragma once
// `postern validate DIR`: loads the project exactly as `postern run` would, without serving.
#include <filesystem>

namespace postern::cli {

// Prints every error, then every warning ("file:line:col: warning: ..."), to stderr.
// Errors: "N errors; the project was not loaded" on stderr, returns 1. Otherwise prints
// "ok: 2 APIs, 7 routes (project examples/quickstart)" to stdout (with "; N warnings" when
// there are some) and returns 0 — or, with `strict`, returns 1 when there is any warning.
int run_validate(const std::filesystem::path& dir, bool strict = false);

}  // namespace postern::cli
