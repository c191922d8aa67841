#pragma once
// One project file held in memory: its path relative to the project folder and its bytes.
#include <string>

namespace postern::bundle {

struct BundleFile {
  std::string path;  // '/'-separated, check_bundle_path holds
  std::string bytes;
};

}  // namespace postern::bundle
