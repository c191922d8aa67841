#include "analytics/outbox.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "analytics/file_io.h"
#include "core/log.h"
#include "core/strings.h"

namespace postern::analytics {

namespace fs = std::filesystem;

namespace {

// Copies `in` to `out`, gzip-compressed when `gzip`; counts '\n' into `lines`.
bool copy_file(int in, int out, bool gzip, uint64_t& lines, std::string& error) {
  z_stream z{};
  // Level 1: event lines compress ~10x even so, and the shipper shares the cores with the
  // workers; windowBits 15 + 16 = a gzip wrapper (RFC 1952).
  if (gzip && deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    error = "deflateInit2 failed";
    return false;
  }
  std::vector<unsigned char> ibuf(256 * 1024), obuf(256 * 1024);
  bool ok = true;
  for (;;) {
    ssize_t n = ::read(in, ibuf.data(), ibuf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      error = std::string("read: ") + std::strerror(errno);
      ok = false;
      break;
    }
    lines += uint64_t(std::count(ibuf.begin(), ibuf.begin() + n, '\n'));
    if (!gzip) {
      if (n == 0) break;
      if (!write_all(out, ibuf.data(), size_t(n))) {
        error = std::string("write: ") + std::strerror(errno);
        ok = false;
        break;
      }
      continue;
    }
    z.next_in = ibuf.data();
    z.avail_in = uInt(n);
    int flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
    int rc;
    do {
      z.next_out = obuf.data();
      z.avail_out = uInt(obuf.size());
      rc = deflate(&z, flush);
      size_t have = obuf.size() - z.avail_out;
      if (have > 0 && !write_all(out, obuf.data(), have)) {
        error = std::string("write: ") + std::strerror(errno);
        ok = false;
        break;
      }
    } while (ok && z.avail_out == 0);
    if (!ok || rc == Z_STREAM_END) break;
  }
  if (gzip) deflateEnd(&z);
  return ok;
}

}  // namespace

Outbox::Outbox(fs::path dir, bool gzip, DiskBudget& budget, Stats& stats, std::function<uint64_t()> active_bytes)
    : dirs_(dir), gzip_(gzip), budget_(budget), stats_(stats), active_bytes_(std::move(active_bytes)) {}

bool Outbox::parse_name(const std::string& name, OutboxFile& out) {
  std::string_view n = name;
  if (n.ends_with(".jsonl.gz")) {
    out.gzip = true;
    n.remove_suffix(9);
  } else if (n.ends_with(".jsonl")) {
    out.gzip = false;
    n.remove_suffix(6);
  } else {
    return false;
  }
  size_t tilde = n.rfind('~');
  if (tilde == std::string_view::npos || tilde == 0) return false;
  auto events = parse_u64(n.substr(tilde + 1));
  if (!events) return false;
  out.file_id = std::string(n.substr(0, tilde));
  out.events = *events;
  return true;
}

size_t Outbox::seal_closed_files() {
  std::error_code ec;
  std::vector<fs::path> closed;
  for (const auto& entry : fs::directory_iterator(dirs_.closed, ec)) {
    if (entry.path().extension() == ".jsonl") closed.push_back(entry.path());
  }
  std::sort(closed.begin(), closed.end());
  size_t moved = 0;
  for (const auto& p : closed) {
    Claim claim(budget_, p.stem().string(), p);
    if (claim && seal(p)) ++moved;
  }
  // Leftovers of a crash during sealing: the closed file is still there, so drop them.
  budget_.remove_unfinished_copies();
  return moved;
}

bool Outbox::seal(const fs::path& closed_file) {
  std::string id = closed_file.stem().string();
  int in = ::open(closed_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return false;
  fs::path tmp = dirs_.outbox / (id + ".tmp");
  int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    log::error("analytics: cannot create {}: {}", tmp.string(), std::strerror(errno));
    ::close(in);
    return false;
  }
  uint64_t lines = 0;
  std::string error;
  bool ok = copy_file(in, out, gzip_, lines, error) && ::fsync(out) == 0;
  ::close(in);
  ::close(out);
  std::error_code ec;
  if (!ok) {
    log::error("analytics: cannot seal {}: {}", closed_file.string(), error.empty() ? std::strerror(errno) : error);
    fs::remove(tmp, ec);
    return false;
  }
  fs::path final_path = dirs_.outbox / (id + "~" + std::to_string(lines) + (gzip_ ? ".jsonl.gz" : ".jsonl"));
  fs::rename(tmp, final_path, ec);
  if (ec) {
    log::error("analytics: cannot rename {}: {}", tmp.string(), ec.message());
    fs::remove(tmp, ec);
    return false;
  }
  fsync_dir(dirs_.outbox);
  fs::remove(closed_file, ec);
  return true;
}

std::vector<OutboxFile> Outbox::pending() const {
  std::vector<OutboxFile> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dirs_.outbox, ec)) {
    OutboxFile f;
    if (!parse_name(entry.path().filename().string(), f)) continue;
    f.path = entry.path();
    f.bytes = entry.file_size(ec);
    out.push_back(std::move(f));
  }
  // File ids start with their UTC creation time: name order is age order.
  std::sort(out.begin(), out.end(), [](const OutboxFile& a, const OutboxFile& b) { return a.file_id < b.file_id; });
  return out;
}

void Outbox::remove(const OutboxFile& f) {
  std::error_code ec;
  fs::remove(f.path, ec);
}

void Outbox::reject(const OutboxFile& f) {
  std::error_code ec;
  fs::rename(f.path, dirs_.rejected / f.path.filename(), ec);
  stats_.files_rejected.fetch_add(1, std::memory_order_relaxed);
}

void Outbox::refresh_gauges() {
  stats_.files_pending.store(pending().size(), std::memory_order_relaxed);
  uint64_t active = active_bytes_ ? active_bytes_() : 0;
  stats_.disk_bytes.store(budget_.stored_bytes() + active, std::memory_order_relaxed);
}

}  // namespace postern::analytics
