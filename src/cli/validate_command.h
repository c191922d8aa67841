#pragma once
// `postern validate DIR`: loads the project exactly as `postern run` would, without serving.
#include <filesystem>

namespace postern::cli {

// Prints every diagnostic to stderr and returns 1, or prints
// "ok: 2 APIs, 7 routes (project examples/quickstart)" to stdout and returns 0.
int run_validate(const std::filesystem::path& dir);

}  // namespace postern::cli
