#pragma once
// The bundle's container: a plain ustar archive (libarchive), so `tar tf api.bundle` shows
// what is inside. Writing is reproducible: entries in the caller's order, every header with
// mode 0644, uid/gid 0, no owner names and mtime 0, 512-byte blocks.
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace postern::bundle {

struct TarEntry {
  std::string name;
  std::string bytes;
};

// Writes `entries` as ustar into `out` (replaced).
Status write_tar(const std::vector<TarEntry>& entries, std::string& out);

// Reads an untrusted archive: only tar formats, only regular files (no links, directories,
// devices, sparse files), each at most `max_entry_bytes`, at most `max_entries`. Names are
// returned as stored; the caller checks them. Fails on any libarchive error or truncation.
Status read_tar(std::string_view bytes, size_t max_entries, size_t max_entry_bytes, std::vector<TarEntry>& out);

}  // namespace postern::bundle
