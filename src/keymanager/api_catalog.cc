#include "keymanager/api_catalog.h"

namespace postern::keymanager {

ApiCatalog ApiCatalog::load(const std::filesystem::path& project, std::vector<config::Diagnostic>& errors) {
  ApiCatalog catalog;
  config::LoadResult loaded = config::load_project(project);
  if (!loaded.snapshot) {
    errors = std::move(loaded.diagnostics);
    return catalog;
  }
  const config::Snapshot& snap = *loaded.snapshot;
  for (const auto& api : snap.apis) {
    auto& scopes = catalog.apis_[{api->name, api->version}];
    for (uint32_t id : api->route_ids)
      for (const auto& s : snap.routes[id].security->scopes) scopes.insert(s);
  }
  return catalog;
}

bool ApiCatalog::has(const std::string& name, const std::string& version) const {
  if (version != "*") return apis_.count({name, version}) > 0;
  auto it = apis_.lower_bound({name, ""});
  return it != apis_.end() && it->first.first == name;
}

std::set<std::string> ApiCatalog::scopes_of(const std::string& name, const std::string& version) const {
  std::set<std::string> out;
  for (auto it = apis_.lower_bound({name, ""}); it != apis_.end() && it->first.first == name; ++it)
    if (version == "*" || it->first.second == version) out.insert(it->second.begin(), it->second.end());
  return out;
}

std::vector<std::string> ApiCatalog::all_scopes() const {
  std::set<std::string> all;
  for (const auto& [key, scopes] : apis_) all.insert(scopes.begin(), scopes.end());
  return {all.begin(), all.end()};
}

std::string ApiCatalog::list() const {
  std::string out;
  for (const auto& [key, scopes] : apis_) out += (out.empty() ? "" : ", ") + key.first + ":" + key.second;
  return out;
}

}  // namespace postern::keymanager
