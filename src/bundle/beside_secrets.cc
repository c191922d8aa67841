#include "bundle/beside_secrets.h"

#include <cstdint>
#include <fstream>
#include <sstream>

#include "bundle/project_files.h"

namespace postern::bundle {

namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t kMaxSecretBytes = 1u << 20;

bool looks_secret(const fs::path& file, const std::string& rel) {
  std::error_code ec;
  if (fs::file_size(file, ec) > kMaxSecretBytes || ec) return false;
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  return !check_not_secret(rel, ss.str()).ok();
}

// Links the secrets of one folder: `rel_dir` is "" for the root.
Status link_folder(const fs::path& extracted, const fs::path& beside, const fs::path& rel_dir,
                   std::vector<std::string>& linked) {
  std::error_code ec;
  fs::path from = beside / rel_dir;
  if (!fs::is_directory(from, ec)) return {};
  for (const auto& entry : fs::directory_iterator(from, ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(".") || !entry.is_regular_file(ec)) continue;
    fs::path rel = rel_dir / name;
    fs::path target = extracted / rel;
    if (fs::exists(fs::symlink_status(target, ec))) continue;  // the bundle's own file wins
    if (!looks_secret(entry.path(), rel.generic_string())) continue;
    fs::create_symlink(fs::absolute(entry.path()), target, ec);
    if (ec) return Status::error("cannot link " + entry.path().string() + ": " + ec.message());
    linked.push_back(rel.generic_string());
  }
  return {};
}

}  // namespace

Status link_beside_secrets(const fs::path& extracted, const fs::path& beside, std::vector<std::string>& linked) {
  std::vector<fs::path> folders{fs::path()};
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(extracted, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) folders.push_back(it->path().lexically_relative(extracted));
  }
  if (ec) return Status::error(extracted.string() + ": " + ec.message());
  for (const fs::path& rel : folders) {
    if (Status s = link_folder(extracted, beside, rel, linked); !s) return s;
  }
  return {};
}

}  // namespace postern::bundle
