#include "controlplane/last_good_bundle.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace postern::controlplane {

namespace fs = std::filesystem;

namespace {

Status errno_status(const std::string& what) { return Status::error(what + ": " + std::strerror(errno)); }

Status write_all(int fd, std::string_view bytes, const std::string& name) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return errno_status("cannot write " + name);
    bytes.remove_prefix(size_t(n));
  }
  return {};
}

Status fsync_path(const fs::path& p, int flags) {
  int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return errno_status("cannot open " + p.string());
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status{} : errno_status("cannot sync " + p.string());
}

}  // namespace

bool LastGoodBundle::exists() const {
  std::error_code ec;
  return fs::is_regular_file(file(), ec);
}

Status LastGoodBundle::load(const std::vector<bundle::BundleKey>& trusted, bundle::VerifiedBundle& out) const {
  std::string bytes;
  if (Status s = bundle::read_bundle_file(file(), bytes); !s)
    return Status::error(file().string() + ": " + s.message());
  if (Status s = bundle::verify_bundle(bytes, trusted, out); !s)
    return Status::error(file().string() + ": " + s.message());
  return {};
}

Status LastGoodBundle::save(std::string_view bytes) const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return Status::error("cannot create " + dir_.string() + ": " + ec.message());
  fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
  const fs::path tmp = dir_ / "active.bundle.tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno_status("cannot create " + tmp.string());
  Status s = write_all(fd, bytes, tmp.string());
  if (s && ::fsync(fd) != 0) s = errno_status("cannot sync " + tmp.string());
  ::close(fd);
  if (s && ::rename(tmp.c_str(), file().c_str()) != 0) s = errno_status("cannot replace " + file().string());
  if (s) s = fsync_path(dir_, O_RDONLY | O_DIRECTORY);
  if (!s) ::unlink(tmp.c_str());
  return s;
}

}  // namespace postern::controlplane
