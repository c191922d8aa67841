#pragma once
// The bounds a bundle reader enforces before it holds anything of an untrusted bundle, and
// the one place that names the files a bundle carries besides the project.
#include <cstddef>
#include <string_view>

namespace postern::bundle {

inline constexpr std::size_t kMaxBundleBytes = 64u << 20;  // the whole bundle file
inline constexpr std::size_t kMaxFileBytes = 16u << 20;    // one project file
inline constexpr std::size_t kMaxFiles = 4096;             // project files in one bundle
inline constexpr std::size_t kMaxPathBytes = 240;          // fits a ustar name+prefix with "project/"
inline constexpr std::size_t kMaxManifestBytes = 1u << 20;
inline constexpr std::size_t kMaxSignatureBytes = 4096;

// Entry names inside the tar: the two metadata files first, then every project file under
// kProjectPrefix, sorted by name.
inline constexpr std::string_view kManifestName = "MANIFEST";
inline constexpr std::string_view kSignatureName = "SIGNATURE";
inline constexpr std::string_view kProjectPrefix = "project/";

// The format version in the manifest's first line.
inline constexpr int kFormatVersion = 1;

}  // namespace postern::bundle
