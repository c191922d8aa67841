// extract_bundle: a verified bundle's files into a fresh folder.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bundle/bundle.h"
#include "bundle/path_rules.h"

namespace postern::bundle {

namespace fs = std::filesystem;

namespace {

Status errno_error(const fs::path& p, std::string_view what) {
  return Status::error(std::string(what) + " " + p.string() + ": " + std::strerror(errno));
}

// Creates the folders between `dir` and the file (dir itself exists; it is ours, 0700).
Status make_parents(const fs::path& dir, const std::string& rel) {
  size_t slash = 0;
  while ((slash = rel.find('/', slash)) != std::string::npos) {
    fs::path p = dir / rel.substr(0, slash);
    if (::mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) return errno_error(p, "cannot create");
    ++slash;
  }
  return {};
}

Status write_new_file(const fs::path& p, const std::string& bytes) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return errno_error(p, "cannot create");
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status s = errno_error(p, "cannot write");
      ::close(fd);
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return errno_error(p, "cannot write");
  return {};
}

}  // namespace

Status extract_bundle(const VerifiedBundle& bundle, const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0) return errno_error(dir, "cannot create the bundle folder");
  for (const BundleFile& f : bundle.files) {
    if (Status s = check_bundle_path(f.path); !s) return s;  // verify_bundle did; cheap to be sure
    if (Status s = make_parents(dir, f.path); !s) return s;
    if (Status s = write_new_file(dir / f.path, f.bytes); !s) return s;
  }
  return {};
}

}  // namespace postern::bundle
