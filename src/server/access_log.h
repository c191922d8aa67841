#pragma once
// Access log: one JSON line per request. Workers append to their own buffer (no lock, no
// syscall); full or periodically, a buffer is handed to the main thread, which writes it.
// A worker never waits for the disk.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "net/asio.h"

namespace postern::server {

struct AccessLogEntry {
  int64_t unix_micros = 0;
  std::string_view request_id;
  std::string_view trace_id;
  std::string_view client_ip;
  std::string_view method;
  std::string_view path;   // normalized
  std::string_view api;    // "name:version" or empty
  std::string_view route;  // template or empty
  int status = 0;
  uint64_t bytes_in = 0;   // request body bytes
  uint64_t bytes_out = 0;  // response body bytes
  uint64_t duration_us = 0;
  uint64_t upstream_us = 0;
  std::string_view endpoint;  // upstream address or empty
  std::string_view reason;    // why the gateway answered itself, or empty
};

// Owned by the main thread; opened once per process (a reload may change the target).
class AccessLogWriter {
 public:
  // path "-" = stdout. Returns false and sets error if the file cannot be opened.
  bool open(const std::string& path, std::string& error);
  void write(const std::string& data);
  ~AccessLogWriter();

 private:
  int fd_ = -1;
  bool owns_fd_ = false;
};

// One per worker.
class AccessLogBuffer {
 public:
  AccessLogBuffer(net::asio::io_context& main_loop, std::shared_ptr<AccessLogWriter> writer)
      : main_loop_(main_loop), writer_(std::move(writer)) {}
  void append(const AccessLogEntry& e);
  void flush();  // hands the buffer to the main thread
  bool enabled() const { return writer_ != nullptr; }

 private:
  net::asio::io_context& main_loop_;
  std::shared_ptr<AccessLogWriter> writer_;
  std::string buffer_;
};

}  // namespace postern::server
