#include "nginx_files.h"

#include <unistd.h>

#include <ctime>

namespace postern::itest {

std::string nginx_binary() {
  for (const char* p : {"/usr/sbin/nginx", "/usr/bin/nginx"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

NginxFiles::NginxFiles(const fs::path& dir, const Pki& pki, std::string token)
    : dir_(dir), token_(std::move(token)), next_mtime_(long(std::time(nullptr))) {
  fs::create_directories(dir_ / "www");
  fs::create_directories(dir_ / "tmp");
  port_ = free_port();
  std::string auth;
  if (!token_.empty()) auth = "    if ($http_authorization != \"Bearer " + token_ + "\") { return 401; }\n";
  // `user root` only matters when the test runs as root (CI): the workers then read the
  // test's private folders. nginx ignores it, with a notice, otherwise.
  write_file(dir_ / "nginx.conf",
             (getuid() == 0 ? "user root;\n" : "") + std::string("worker_processes 1;\ndaemon off;\n") + "error_log " +
                 (dir_ / "error.log").string() + " info;\npid " + (dir_ / "nginx.pid").string() +
                 ";\nevents { worker_connections 64; }\nhttp {\n  access_log " + (dir_ / "access.log").string() +
                 ";\n  client_body_temp_path " + (dir_ / "tmp").string() + ";\n  proxy_temp_path " +
                 (dir_ / "tmp").string() + ";\n  fastcgi_temp_path " + (dir_ / "tmp").string() +
                 ";\n  uwsgi_temp_path " + (dir_ / "tmp").string() + ";\n  scgi_temp_path " + (dir_ / "tmp").string() +
                 ";\n  server {\n    listen 127.0.0.1:" + std::to_string(port_) + " ssl;\n    ssl_certificate " +
                 pki.server_cert.string() + ";\n    ssl_certificate_key " + pki.server_key.string() + ";\n    root " +
                 (dir_ / "www").string() + ";\n  location / {\n" + auth + "  }\n  }\n}\n");
}

NginxFiles::~NginxFiles() { stop(); }

bool NginxFiles::start(std::string* why) {
  proc_ = std::make_unique<Process>(std::vector<std::string>{nginx_binary(), "-p", dir_.string(), "-c",
                                                             (dir_ / "nginx.conf").string()},
                                    dir_ / "nginx.log");
  bool up = eventually(10000ms, [&] { return !proc_->alive() || port_open(port_); });
  if (up && proc_->alive()) return true;
  if (why) *why = proc_->log() + read_file(dir_ / "error.log");
  proc_.reset();
  return false;
}

void NginxFiles::stop() {
  if (!proc_) return;
  proc_->stop();  // SIGTERM: nginx's fast shutdown ends its workers too
  proc_.reset();
}

void NginxFiles::publish(const std::string& name, const std::string& bytes) {
  const fs::path tmp = dir_ / "tmp" / (name + ".new");
  write_file(tmp, bytes);
  ++next_mtime_;
  fs::last_write_time(tmp,
                      fs::file_time_type::clock::now() + std::chrono::seconds(next_mtime_ - long(std::time(nullptr))));
  fs::rename(tmp, www() / name);
}

std::string NginxFiles::access_log() const { return read_file(dir_ / "access.log"); }

}  // namespace postern::itest
