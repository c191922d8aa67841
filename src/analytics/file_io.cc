#include "analytics/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace postern::analytics {

namespace fs = std::filesystem;

bool write_all(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= size_t(w);
  }
  return true;
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

bool write_file_durably(const fs::path& tmp, const fs::path& final_path, std::string_view content, std::string& error) {
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot create " + tmp.string() + ": " + std::strerror(errno);
    return false;
  }
  bool ok = write_all(fd, content.data(), content.size()) && ::fsync(fd) == 0;
  if (!ok) error = "cannot write " + tmp.string() + ": " + std::strerror(errno);
  ::close(fd);
  std::error_code ec;
  if (ok) {
    fs::rename(tmp, final_path, ec);
    if (ec) error = "cannot rename " + tmp.string() + ": " + ec.message();
    ok = !ec;
  }
  if (!ok) {
    fs::remove(tmp, ec);
    return false;
  }
  fsync_dir(final_path.parent_path());
  return true;
}

uint64_t count_lines(const fs::path& file, bool& ok) {
  ok = false;
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::vector<char> buf(256 * 1024);
  uint64_t lines = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return lines;
    }
    if (n == 0) break;
    lines += uint64_t(std::count(buf.begin(), buf.begin() + n, '\n'));
  }
  ::close(fd);
  ok = true;
  return lines;
}

}  // namespace postern::analytics
