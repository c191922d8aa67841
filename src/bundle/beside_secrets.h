#pragma once
// Secrets next to a bundle. `bundle build` refuses private keys and secret files
// (project_files.h); at run time the same files are taken from the same relative paths
// next to the bundle file: for each folder the extracted bundle has (its root included),
// every regular file in the matching folder beside the bundle that check_not_secret
// refuses, and that the bundle does not hold, is linked into the extracted folder. Only
// secrets are linked, so an API document lying next to a bundle is never served; nothing
// in the bundle is ever shadowed.
#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"

namespace postern::bundle {

// `extracted`: the folder extract_bundle wrote; `beside`: the bundle file's folder.
// `linked` gets the relative paths that were linked (for the log).
Status link_beside_secrets(const std::filesystem::path& extracted, const std::filesystem::path& beside,
                           std::vector<std::string>& linked);

}  // namespace postern::bundle
