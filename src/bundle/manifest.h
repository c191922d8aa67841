#pragma once
// The manifest: what a bundle's signature covers. Line-based text, one canonical form
// (rendering a parsed manifest gives back the same bytes), so `cat MANIFEST` is readable and
// the signature is over exactly what a person sees:
//
//   postern-bundle 1
//   postern-version 0.1.0
//   sequence 1733130000
//   file <sha256 hex> <size> <path>      one per project file, sorted by path, unique
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace postern::bundle {

struct ManifestEntry {
  std::string path;    // relative to the project folder, '/'-separated (check_bundle_path)
  uint64_t size = 0;   // bytes
  std::string sha256;  // lower-case hex
  bool operator==(const ManifestEntry&) const = default;
};

struct Manifest {
  int format = 1;
  std::string postern_version;  // the version that built it ([0-9A-Za-z.+-], 1-64 bytes)
  uint64_t sequence = 0;        // orders bundles of one deployment; 0..2^63-1
  std::vector<ManifestEntry> files;
  bool operator==(const Manifest&) const = default;
};

// The canonical text. The caller keeps `files` sorted and unique (parse_manifest insists).
std::string render_manifest(const Manifest& m);

// Strict: exactly the canonical form (every line in order, LF endings, a final LF, decimal
// numbers without leading zeros, lower-case hex, paths valid, sorted and unique, within
// the limits in limits.h). Anything else is refused, naming the line.
Status parse_manifest(std::string_view text, Manifest& out);

}  // namespace postern::bundle
