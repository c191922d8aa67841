#include "cli/validate_command.h"

#include <cstdio>

#include "config/loader.h"

namespace postern::cli {

int run_validate(const std::filesystem::path& dir) {
  config::LoadResult r = config::load_project(dir);
  if (!r.snapshot) {
    for (const auto& d : r.diagnostics) std::fprintf(stderr, "%s\n", d.format().c_str());
    std::fprintf(stderr, "%zu error%s; the project was not loaded\n", r.diagnostics.size(),
                 r.diagnostics.size() == 1 ? "" : "s");
    return 1;
  }
  size_t apis = r.snapshot->apis.size();
  size_t routes = r.snapshot->routes.size();
  std::printf("ok: %zu API%s, %zu route%s (project %s)\n", apis, apis == 1 ? "" : "s", routes,
              routes == 1 ? "" : "s", dir.string().c_str());
  return 0;
}

}  // namespace postern::cli
