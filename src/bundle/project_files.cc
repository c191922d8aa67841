#include "bundle/project_files.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "bundle/limits.h"
#include "bundle/path_rules.h"

namespace postern::bundle {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

bool is_hidden(const fs::path& relative) {
  for (const auto& part : relative) {
    if (part.string().starts_with(".")) return true;
  }
  return false;
}

Status read_file(const fs::path& file, const std::string& rel, std::string& out) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::error(rel + ": cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return {};
}

// One directory entry: skipped (hidden), refused, or added to `out`.
Status take_entry(const fs::directory_entry& entry, const fs::path& root, std::vector<BundleFile>& out) {
  fs::path rel_path = entry.path().lexically_relative(root);
  if (is_hidden(rel_path)) return {};
  std::string rel = rel_path.generic_string();
  std::error_code ec;
  if (entry.is_symlink(ec)) return Status::error(rel + ": is a symlink; bundles hold regular files only");
  if (entry.is_directory(ec)) return {};
  if (!entry.is_regular_file(ec)) return Status::error(rel + ": is not a regular file");
  if (Status s = check_bundle_path(rel); !s) return Status::error(rel + ": " + s.message() + "; rename it");
  if (entry.file_size(ec) > kMaxFileBytes) {
    return Status::error(rel + ": larger than " + std::to_string(kMaxFileBytes) + " bytes");
  }
  if (out.size() == kMaxFiles) return Status::error("more than " + std::to_string(kMaxFiles) + " files");
  BundleFile f{rel, {}};
  if (Status s = read_file(entry.path(), rel, f.bytes); !s) return s;
  if (f.bytes.size() > kMaxFileBytes) return Status::error(rel + ": larger than the limit");
  if (Status s = check_not_secret(rel, f.bytes); !s) return s;
  out.push_back(std::move(f));
  return {};
}

}  // namespace

Status check_not_secret(std::string_view path, std::string_view bytes) {
  std::string p(path);
  if (bytes.find("PRIVATE KEY-----") != std::string_view::npos) {
    return Status::error(p +
                         ": holds a PEM private key; bundles never carry private keys "
                         "(keep it next to the bundle, see docs/deployment.md)");
  }
  std::string name = lower(fs::path(p).filename().string());
  for (std::string_view ext : {".key", ".p12", ".pfx", ".jks", ".keystore"}) {
    if (name.ends_with(ext)) {
      return Status::error(p + ": a '" + std::string(ext) +
                           "' file is a private key or key store; bundles never carry them");
    }
  }
  // An API document may well be called token-api.yaml; a secret file rarely ends in .yaml.
  bool document = name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json");
  for (std::string_view word : {"secret", "password", "token"}) {
    if (document) break;
    if (name.find(word) != std::string::npos) {
      return Status::error(p + ": its name says it holds a " + std::string(word) +
                           "; bundles never carry secrets (use an env var or a file next to the bundle)");
    }
  }
  return {};
}

Status collect_project_files(const fs::path& project_dir, std::vector<BundleFile>& out) {
  out.clear();
  std::error_code ec;
  fs::path root = fs::absolute(project_dir, ec).lexically_normal();
  if (!fs::is_directory(root, ec)) return Status::error(project_dir.string() + ": not a project folder");
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec) return Status::error(project_dir.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Status::error(project_dir.string() + ": " + ec.message());
    if (it->is_directory(ec) && !it->is_symlink(ec) && is_hidden(it->path().lexically_relative(root))) {
      it.disable_recursion_pending();
      continue;
    }
    if (Status s = take_entry(*it, root, out); !s) return Status::error(project_dir.string() + "/" + s.message());
  }
  if (ec) return Status::error(project_dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const BundleFile& a, const BundleFile& b) { return a.path < b.path; });
  bool has_config = std::any_of(out.begin(), out.end(), [](const BundleFile& f) { return f.path == "postern.yaml"; });
  if (!has_config) return Status::error(project_dir.string() + ": no postern.yaml");
  return {};
}

}  // namespace postern::bundle
