#pragma once
// The APIs the key manager issues tokens for, read from a gateway project (the same
// OpenAPI files the gateway serves): their names, versions and the scopes their
// operations declare. A token's scopes are limited to the scopes of the APIs its
// application subscribes to.
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "config/loader.h"

namespace postern::keymanager {

class ApiCatalog {
 public:
  // Empty catalog: no project given; subscriptions are not checked against APIs, and no
  // scope can be granted.
  ApiCatalog() = default;
  static ApiCatalog load(const std::filesystem::path& project, std::vector<config::Diagnostic>& errors);

  bool empty() const { return apis_.empty(); }
  bool has(const std::string& name, const std::string& version) const;
  // The scopes of one API ("*" version: of every version of that name).
  std::set<std::string> scopes_of(const std::string& name, const std::string& version) const;
  // Every scope any API declares (the metadata's scopes_supported).
  std::vector<std::string> all_scopes() const;
  // "Name:version" of every API, for messages.
  std::string list() const;

 private:
  std::map<std::pair<std::string, std::string>, std::set<std::string>> apis_;
};

}  // namespace postern::keymanager
