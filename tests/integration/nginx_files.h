#pragma once
// nginx serving a folder over HTTPS on a free loopback port: the stand-in for "any HTTPS
// server or object store" a control plane can be. Static files get nginx's own ETag
// (mtime-size) and its 304 answers to If-None-Match; with a token, any request without
// "Authorization: Bearer <token>" gets 401.
#include <memory>
#include <string>

#include "harness.h"

namespace postern::itest {

class NginxFiles {
 public:
  // Serves `dir / "www"`, with its config, logs and a server certificate from `pki` under
  // `dir`. Does not start it.
  NginxFiles(const fs::path& dir, const Pki& pki, std::string token);
  ~NginxFiles();

  bool start(std::string* why = nullptr);
  void stop();
  bool running() const { return proc_ != nullptr; }
  int port() const { return port_; }
  fs::path www() const { return dir_ / "www"; }
  std::string url(const std::string& file) const { return "https://127.0.0.1:" + std::to_string(port_) + "/" + file; }
  // Places `bytes` at www/<name> atomically, with an mtime one second after the previous
  // publication's (nginx's ETag is the mtime in seconds and the size: two publications in
  // one second with equal sizes would share it).
  void publish(const std::string& name, const std::string& bytes);
  std::string access_log() const;

 private:
  fs::path dir_;
  std::string token_;
  int port_ = 0;
  long next_mtime_ = 0;
  std::unique_ptr<Process> proc_;
};

// nginx's binary, or "" when it is not installed.
std::string nginx_binary();

}  // namespace postern::itest
