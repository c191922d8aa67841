#include "server/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "core/strings.h"

namespace postern::server {

bool AccessLogWriter::open(const std::string& path, std::string& error) {
  if (path == "-" || path.empty()) {
    fd_ = STDOUT_FILENO;
    owns_fd_ = false;
    return true;
  }
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    error = "cannot open access log " + path + ": " + std::strerror(errno);
    return false;
  }
  owns_fd_ = true;
  return true;
}

void AccessLogWriter::write(const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // disk full or closed pipe: the access log is best effort, analytics are not
    }
    off += size_t(n);
  }
}

AccessLogWriter::~AccessLogWriter() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

void AccessLogBuffer::append(const AccessLogEntry& e) {
  if (!writer_) return;
  auto it = std::back_inserter(buffer_);
  buffer_ += "{\"time\":\"";
  append_iso8601_micros(buffer_, e.unix_micros);
  buffer_ += "\",\"request_id\":\"";
  append_json_escaped(buffer_, e.request_id);
  buffer_ += "\",\"trace_id\":\"";
  append_json_escaped(buffer_, e.trace_id);
  buffer_ += "\",\"client\":\"";
  append_json_escaped(buffer_, e.client_ip);
  buffer_ += "\",\"method\":\"";
  append_json_escaped(buffer_, e.method);
  buffer_ += "\",\"path\":\"";
  append_json_escaped(buffer_, e.path);
  buffer_ += "\",\"api\":\"";
  append_json_escaped(buffer_, e.api);
  buffer_ += "\",\"route\":\"";
  append_json_escaped(buffer_, e.route);
  fmt::format_to(
      it,
      "\",\"status\":{},\"bytes_in\":{},\"bytes_out\":{},\"duration_ms\":{:.3f},\"upstream_ms\":{:.3f},\"endpoint\":\"",
      e.status, e.bytes_in, e.bytes_out, double(e.duration_us) / 1000.0, double(e.upstream_us) / 1000.0);
  append_json_escaped(buffer_, e.endpoint);
  buffer_ += "\",\"reason\":\"";
  append_json_escaped(buffer_, e.reason);
  buffer_ += "\"}\n";
  if (buffer_.size() >= 64 * 1024) flush();
}

void AccessLogBuffer::flush() {
  if (!writer_ || buffer_.empty()) return;
  std::string data;
  data.swap(buffer_);
  buffer_.reserve(data.capacity());
  net::asio::post(main_loop_, [w = writer_, d = std::move(data)] { w->write(d); });
}

}  // namespace postern::server
