#include "bundle/tar_archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace postern::bundle {

namespace {

struct ArchiveWriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

la_ssize_t append_to_string(archive*, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

Status archive_error(archive* a, std::string_view what) {
  const char* msg = archive_error_string(a);
  return Status::error(std::string(what) + ": " + (msg ? msg : "unknown libarchive error"));
}

Status write_entry(archive* a, const TarEntry& e) {
  std::unique_ptr<archive_entry, EntryFree> entry(archive_entry_new());
  archive_entry_set_pathname(entry.get(), e.name.c_str());
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(e.bytes.size()));
  archive_entry_set_mtime(entry.get(), 0, 0);
  archive_entry_set_uid(entry.get(), 0);
  archive_entry_set_gid(entry.get(), 0);
  if (archive_write_header(a, entry.get()) != ARCHIVE_OK) return archive_error(a, "writing " + e.name);
  if (!e.bytes.empty() &&
      archive_write_data(a, e.bytes.data(), e.bytes.size()) != static_cast<la_ssize_t>(e.bytes.size())) {
    return archive_error(a, "writing " + e.name);
  }
  return {};
}

// Reads the current entry's data, which must be exactly `size` bytes.
Status read_data(archive* a, const std::string& name, size_t size, std::string& out) {
  out.resize(size);
  size_t got = 0;
  while (got < size) {
    la_ssize_t n = archive_read_data(a, out.data() + got, size - got);
    if (n < 0) return archive_error(a, "reading " + name);
    if (n == 0) return Status::error("reading " + name + ": truncated");
    got += static_cast<size_t>(n);
  }
  char extra;
  la_ssize_t n = archive_read_data(a, &extra, 1);
  if (n != 0) return Status::error("reading " + name + ": more data than its header says");
  return {};
}

Status check_entry(archive_entry* entry, size_t max_entry_bytes, std::string& name) {
  const char* path = archive_entry_pathname(entry);
  if (!path) return Status::error("an entry without a readable name");
  name = path;
  if (archive_entry_filetype(entry) != AE_IFREG) return Status::error("entry '" + name + "' is not a regular file");
  if (archive_entry_hardlink(entry) || archive_entry_symlink(entry)) {
    return Status::error("entry '" + name + "' is a link");
  }
  if (archive_entry_sparse_count(entry) > 0) return Status::error("entry '" + name + "' is a sparse file");
  if (!archive_entry_size_is_set(entry) || archive_entry_size(entry) < 0 ||
      static_cast<uint64_t>(archive_entry_size(entry)) > max_entry_bytes) {
    return Status::error("entry '" + name + "' is larger than " + std::to_string(max_entry_bytes) + " bytes");
  }
  return {};
}

}  // namespace

Status write_tar(const std::vector<TarEntry>& entries, std::string& out) {
  out.clear();
  std::unique_ptr<archive, ArchiveWriteFree> a(archive_write_new());
  if (!a) return Status::error("out of memory");
  if (archive_write_set_format_ustar(a.get()) != ARCHIVE_OK || archive_write_add_filter_none(a.get()) != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(a.get(), 512) != ARCHIVE_OK ||
      archive_write_open(a.get(), &out, nullptr, append_to_string, nullptr) != ARCHIVE_OK) {
    return archive_error(a.get(), "creating the archive");
  }
  for (const TarEntry& e : entries) {
    if (Status s = write_entry(a.get(), e); !s) return s;
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) return archive_error(a.get(), "closing the archive");
  return {};
}

Status read_tar(std::string_view bytes, size_t max_entries, size_t max_entry_bytes, std::vector<TarEntry>& out) {
  out.clear();
  std::unique_ptr<archive, ArchiveReadFree> a(archive_read_new());
  if (!a) return Status::error("out of memory");
  if (archive_read_support_format_tar(a.get()) != ARCHIVE_OK ||
      archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) {
    return archive_error(a.get(), "not a tar archive");
  }
  for (;;) {
    archive_entry* entry = nullptr;
    int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK) return archive_error(a.get(), "reading the archive");
    if (out.size() == max_entries) return Status::error("more than " + std::to_string(max_entries) + " entries");
    TarEntry e;
    if (Status s = check_entry(entry, max_entry_bytes, e.name); !s) return s;
    if (Status s = read_data(a.get(), e.name, static_cast<size_t>(archive_entry_size(entry)), e.bytes); !s) return s;
    out.push_back(std::move(e));
  }
  return {};
}

}  // namespace postern::bundle
