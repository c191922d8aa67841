#include "controlplane/extracted_bundles.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdlib>

#include "bundle/beside_secrets.h"

namespace postern::controlplane {

namespace fs = std::filesystem;

ExtractedBundles::~ExtractedBundles() {
  if (work_.empty()) return;
  std::error_code ec;
  fs::remove_all(work_, ec);
}

Status ExtractedBundles::open() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/postern-bundle-XXXXXX";
  if (!::mkdtemp(pattern.data())) return Status::error("cannot create a folder under " + pattern);
  work_ = pattern;
  return {};
}

Status ExtractedBundles::extract(const bundle::VerifiedBundle& b, const fs::path& secrets_dir, fs::path& project,
                                 std::vector<std::string>& linked) {
  const fs::path folder = work_ / fmt::format("{}-{}", b.sequence, b.digest.substr(0, 12));
  std::error_code ec;
  fs::remove_all(folder, ec);  // a bundle refused earlier left nothing, but be sure
  if (!fs::create_directory(folder, ec) || ec) return Status::error("cannot create " + folder.string());
  project = folder / "project";
  Status s = bundle::extract_bundle(b, project);
  if (s) s = bundle::link_beside_secrets(project, secrets_dir, linked);
  if (!s) fs::remove_all(folder, ec);
  return s;
}

void ExtractedBundles::in_force(const fs::path& project) {
  kept_.push_back(project.parent_path());
  std::error_code ec;
  while (kept_.size() > 2) {
    fs::remove_all(kept_.front(), ec);
    kept_.erase(kept_.begin());
  }
}

void ExtractedBundles::discard(const fs::path& project) {
  std::error_code ec;
  fs::remove_all(project.parent_path(), ec);
}

}  // namespace postern::controlplane
