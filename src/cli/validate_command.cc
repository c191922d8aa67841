#include "cli/validate_command.h"

#include <cstdio>

#include "config/loader.h"

namespace postern::cli {

int run_validate(const std::filesystem::path& dir, bool strict) {
  config::LoadResult r = config::load_project(dir);
  if (!r.snapshot) {
    for (const auto& d : r.diagnostics) std::fprintf(stderr, "%s\n", d.format().c_str());
    for (const auto& w : r.warnings) std::fprintf(stderr, "%s\n", w.format().c_str());
    std::fprintf(stderr, "%zu error%s; the project was not loaded\n", r.diagnostics.size(),
                 r.diagnostics.size() == 1 ? "" : "s");
    return 1;
  }
  for (const auto& w : r.warnings) std::fprintf(stderr, "%s\n", w.format().c_str());
  size_t warnings = r.warnings.size();
  if (strict && warnings > 0) {
    std::fprintf(stderr, "%zu warning%s; --strict refuses the project\n", warnings, warnings == 1 ? "" : "s");
    return 1;
  }
  size_t apis = r.snapshot->apis.size();
  size_t routes = r.snapshot->routes.size();
  std::string tail = warnings == 0 ? "" : "; " + std::to_string(warnings) + (warnings == 1 ? " warning" : " warnings");
  std::printf("ok: %zu API%s, %zu route%s (project %s)%s\n", apis, apis == 1 ? "" : "s", routes, routes == 1 ? "" : "s",
              dir.string().c_str(), tail.c_str());
  return 0;
}

}  // namespace postern::cli
