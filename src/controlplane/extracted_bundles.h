#pragma once
// The folders a gateway serves bundles from: a private folder under $TMPDIR (or /tmp)
// holding one extracted project per bundle (<sequence>-<digest prefix>/project), each with
// the secrets found beside it linked in (bundle/beside_secrets.h). The folder in force and
// the one before it are kept (a reload never pulls files from under a runtime that is
// still finishing requests); older ones are removed, and everything at destruction.
#include <filesystem>
#include <string>
#include <vector>

#include "bundle/bundle.h"
#include "core/status.h"

namespace postern::controlplane {

class ExtractedBundles {
 public:
  ExtractedBundles() = default;
  ExtractedBundles(const ExtractedBundles&) = delete;
  ExtractedBundles& operator=(const ExtractedBundles&) = delete;
  ~ExtractedBundles();

  // Creates the private folder.
  Status open();
  // Extracts `b` and links the secrets of `secrets_dir`; `project` gets the folder to load,
  // `linked` the secrets' relative paths (for the log).
  Status extract(const bundle::VerifiedBundle& b, const std::filesystem::path& secrets_dir,
                 std::filesystem::path& project, std::vector<std::string>& linked);
  // `project` is now in force: folders older than the one it replaced are removed.
  void in_force(const std::filesystem::path& project);
  // `project` was not put in force: removed.
  void discard(const std::filesystem::path& project);

 private:
  std::filesystem::path work_;
  std::vector<std::filesystem::path> kept_;  // bundle folders, oldest first
};

}  // namespace postern::controlplane
