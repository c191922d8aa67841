#pragma once
// The last bundle that was in force, kept on disk (state_dir/active.bundle) so a gateway
// restarts with it when the control plane is out of reach. Written atomically (temporary
// file, fsync, rename, fsync of the folder): a crash leaves the old bundle or the new one,
// never a torn file. It is verified again when read, like any bundle from anywhere.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bundle/bundle.h"
#include "core/status.h"

namespace postern::controlplane {

class LastGoodBundle {
 public:
  explicit LastGoodBundle(std::filesystem::path state_dir) : dir_(std::move(state_dir)) {}

  std::filesystem::path file() const { return dir_ / "active.bundle"; }
  bool exists() const;
  // Reads and verifies the stored bundle; an error when there is none or it does not verify.
  Status load(const std::vector<bundle::BundleKey>& trusted, bundle::VerifiedBundle& out) const;
  // Creates the folder (0700) when missing and replaces the stored bundle with `bytes`.
  Status save(std::string_view bytes) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace postern::controlplane
