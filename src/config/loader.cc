#include "config/loader.h"

#include <algorithm>
#include <map>

#include "config/internal.h"

namespace postern::config {

namespace fs = std::filesystem;
using detail::Diagnostics;

std::string Diagnostic::format() const {
  std::string s = file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (column > 0) s += ":" + std::to_string(column);
  }
  s += warning ? ": warning: " : ": ";
  s += message;
  return s;
}

namespace {

// "GET /a/{}/b": equal for templates the router treats as equivalent.
std::string canonical_key(const detail::PendingRoute& r) {
  std::string key = r.method_text + " ";
  const std::string& t = r.full_template;
  size_t i = 0;
  while (i < t.size()) {
    if (t[i] == '{') {
      size_t close = t.find('}', i);
      key += "{}";
      i = close == std::string::npos ? t.size() : close + 1;
    } else {
      key += t[i++];
    }
  }
  return key;
}

bool is_api_file(const fs::path& p) {
  std::string ext = p.extension().string();
  return !p.filename().string().starts_with(".") && (ext == ".yaml" || ext == ".yml" || ext == ".json");
}

// Groups diagnostics by file (in the order files were read), then by position.
void sort_diagnostics(std::vector<Diagnostic>& diags) {
  std::vector<std::string> order;
  for (const auto& d : diags) {
    if (std::find(order.begin(), order.end(), d.file) == order.end()) order.push_back(d.file);
  }
  auto rank = [&](const Diagnostic& d) { return std::find(order.begin(), order.end(), d.file) - order.begin(); };
  std::stable_sort(diags.begin(), diags.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    auto ra = rank(a), rb = rank(b);
    if (ra != rb) return ra < rb;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
}

}  // namespace

LoadResult load_project(const fs::path& project_dir) {
  LoadResult result;
  auto& diags = result.diagnostics;
  const fs::path display = project_dir.empty() ? fs::path(".") : project_dir;
  std::error_code ec;
  if (!fs::is_directory(display, ec)) {
    Diagnostics d(diags, display.string());
    d.error(fs::exists(display, ec)
                ? "not a directory; give the project folder that holds postern.yaml"
                : "project directory not found; create one with 'postern init " + display.string() + "'");
    return result;
  }
  const fs::path abs = fs::absolute(display).lexically_normal();
  const fs::path config_file = abs / "postern.yaml";
  Diagnostics gd(diags, (display / "postern.yaml").lexically_normal().string(), &result.warnings);
  if (!fs::is_regular_file(config_file, ec)) {
    gd.error("not found; every project needs a postern.yaml (create one with 'postern init " + display.string() + "')");
    return result;
  }
  auto snap = std::make_shared<Snapshot>();
  snap->project_dir = abs;
  snap->config_file = config_file;
  auto root = detail::load_yaml_file(gd, config_file);
  if (!root) return result;
  // WSO2's policies.yaml at the project root: tiers, read before postern.yaml so its
  // throttling section can name them (and may not redefine them).
  const fs::path policies_file = abs / "policies.yaml";
  if (fs::exists(policies_file, ec)) {
    Diagnostics pd(diags, (display / "policies.yaml").lexically_normal().string(), &result.warnings);
    if (auto policies = detail::load_yaml_file(pd, policies_file))
      detail::parse_policies_file(pd, *policies, snap->gateway.throttling);
  }
  fs::path apis_display;
  detail::parse_gateway(gd, *root, abs, display, snap->gateway, apis_display);

  std::vector<fs::path> files;
  if (!fs::is_directory(snap->gateway.apis_dir, ec)) {
    gd.error("the apis folder '" + apis_display.string() +
             "' does not exist; create it and put OpenAPI documents "
             "(*.yaml, *.yml, *.json) in it, or point 'apis:' at the right folder");
  } else {
    for (const auto& entry : fs::directory_iterator(snap->gateway.apis_dir, ec)) {
      if (entry.is_regular_file(ec) && is_api_file(entry.path())) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
  }

  struct FileApi {
    std::string display;
    fs::path file;
    detail::ParsedApi parsed;
  };
  std::vector<FileApi> parsed;
  for (const fs::path& f : files) {
    std::string shown = (apis_display / f.filename()).string();
    Diagnostics fd(diags, shown, &result.warnings);
    auto doc = detail::load_yaml_file(fd, f);
    if (!doc) continue;
    parsed.push_back(FileApi{shown, f, detail::parse_openapi(fd, *doc, f)});
  }

  // Collisions across and within documents, reported at the later operation.
  std::map<std::string, const detail::PendingRoute*> seen;
  for (const FileApi& fa : parsed) {
    Diagnostics fd(diags, fa.display);
    for (const auto& r : fa.parsed.routes) {
      auto [it, inserted] = seen.emplace(canonical_key(r), &r);
      if (!inserted) {
        const detail::PendingRoute& first = *it->second;
        fd.error(r.mark, r.method_text + " " + r.full_template + " collides with " + first.method_text + " " +
                             first.full_template + " declared at " + first.source +
                             "; give the APIs different base paths or remove one of the operations");
      }
    }
  }
  sort_diagnostics(result.warnings);
  if (!diags.empty()) {
    sort_diagnostics(diags);
    return result;
  }

  // Tiers named in the APIs must exist: WSO2 finds out at run time (900809); we refuse to load.
  const TierMap& tiers = snap->gateway.throttling.resource;
  auto resolve_tier = [&](const std::string& display, const std::string& name,
                          const YAML::Mark& mark) -> const ThrottleTier* {
    if (name.empty()) return nullptr;
    auto it = tiers.find(name);
    if (it != tiers.end()) return &it->second;
    std::vector<std::string_view> names;
    for (const auto& [n, t] : tiers) names.push_back(n);
    std::string known;
    for (auto n : names) known += (known.empty() ? "" : ", ") + std::string(n);
    Diagnostics fd(diags, display);
    fd.error(mark, "throttling tier '" + name + "' does not exist" +
                       detail::did_you_mean(detail::suggest(name, names)) +
                       "; declare it under throttling.tiers.resource in postern.yaml or resourcePolicies in "
                       "policies.yaml (known: " +
                       known + ")");
    return nullptr;
  };
  for (FileApi& fa : parsed) {
    if (!fa.parsed.api) continue;
    Api* api = fa.parsed.api.get();
    api->tier = resolve_tier(fa.display, fa.parsed.tier, fa.parsed.tier_mark);
    snap->apis.push_back(std::move(fa.parsed.api));
    for (auto& pr : fa.parsed.routes) {
      Route r;
      r.id = uint32_t(snap->routes.size());
      r.api = api;
      r.method = pr.method;
      r.method_text = std::move(pr.method_text);
      r.resource_path = std::move(pr.resource_path);
      r.full_template = std::move(pr.full_template);
      r.production = std::move(pr.production);
      r.sandbox = std::move(pr.sandbox);
      r.security = std::move(pr.security);
      r.source = std::move(pr.source);
      r.resource_tier = resolve_tier(fa.display, pr.tier, pr.tier_mark);
      if (Status s = snap->route_table.add(r.method, r.full_template, r.id); !s) {
        Diagnostics fd(diags, fa.display);
        fd.error(pr.mark, s.message());
        continue;
      }
      api->route_ids.push_back(r.id);
      snap->routes.push_back(std::move(r));
    }
  }
  if (!diags.empty()) return result;
  std::vector<detail::NamedEndpoint> named;
  for (const FileApi& fa : parsed) {
    named.insert(named.end(), fa.parsed.named_endpoints.begin(), fa.parsed.named_endpoints.end());
  }
  detail::resolve_endpoint_names(snap->gateway.dns, named, diags, result.warnings, gd.file());
  if (!diags.empty()) return result;
  // x-wso2-transports that no listener can serve: the API would answer 404 everywhere.
  bool plain = false, tls = false;
  for (const Listener& l : snap->gateway.listeners) (l.tls ? tls : plain) = true;
  for (const FileApi& fa : parsed) {
    const Api* api = nullptr;
    for (const auto& a : snap->apis) {
      if (fa.parsed.transports_mark && a->file == fa.file) api = a.get();
    }
    if (api == nullptr || (api->served_on(true) && tls) || (api->served_on(false) && plain)) continue;
    Diagnostics fd(diags, fa.display, &result.warnings);
    fd.warn(*fa.parsed.transports_mark,
            std::string("the API is served only on ") + (api->served_on(true) ? "TLS" : "plain HTTP") +
                " listeners and postern.yaml has none, so every request to it gets 404; add such a listener "
                "or change the transports");
  }
  sort_diagnostics(result.warnings);
  result.snapshot = std::move(snap);
  return result;
}

}  // namespace postern::config
