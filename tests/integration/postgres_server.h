#pragma once
// A real PostgreSQL server for integration tests (the collector's and the key manager's
// PostgreSQL stores): initdb in a temp dir, a free loopback port, trust authentication.
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness.h"

namespace postern::itest {

// A postgres server in its own temp dir on a free loopback port; stopped by its PID.
// PostgreSQL refuses to run as root: as root, the data dir belongs to the `postgres`
// user and the server runs through runuser.
class PostgresServer {
 public:
  static constexpr const char* kBin = "/usr/lib/postgresql/15/bin";
  PostgresServer() : port_(free_port()) {
    char tmpl[] = "/tmp/postern-pg-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    as_root_ = geteuid() == 0;
    if (as_root_) {
      struct passwd* pw = getpwnam("postgres");
      if (!pw) throw std::runtime_error("running as root and there is no postgres user");
      if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown failed");
    }
    auto r = run_command(wrap(std::string(kBin) + "/initdb -D " + shell_quote((dir_ / "data").string()) +
                              " -U postgres --auth=trust -E UTF8 --locale=C.UTF-8"),
                         120);
    if (r.exit_code != 0) throw std::runtime_error("initdb failed: " + r.output);
    start();
    create_database("analytics");
  }
  ~PostgresServer() {
    stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void start() {
    std::vector<std::string> argv;
    if (as_root_) argv = {"/usr/sbin/runuser", "-u", "postgres", "--"};
    for (std::string a : {std::string(kBin) + "/postgres", std::string("-D"), (dir_ / "data").string(),
                          std::string("-k"), dir_.string(), std::string("-h"), std::string("127.0.0.1"),
                          std::string("-p"), std::to_string(port_), std::string("-c"), std::string("fsync=off")})
      argv.push_back(a);
    proc_ = std::make_unique<Process>(argv, dir_ / "postgres.log");
    // Ready means accepting sessions: the port opens while the server is still "starting
    // up" (recovery after a restart) and refuses connections then.
    std::string ready = std::string(kBin) + "/pg_isready -q -h 127.0.0.1 -p " + std::to_string(port_) + " -U postgres";
    if (!eventually(60000ms,
                    [&] {
                      return !proc_->alive() || (postmaster_pid() > 0 && run_command(ready, 10).exit_code == 0);
                    }) ||
        !proc_->alive())
      throw std::runtime_error("postgres did not start: " + read_file(dir_ / "postgres.log"));
    pid_ = postmaster_pid();
  }
  // Fast shutdown (SIGINT to the postmaster, by its PID), then waits for the process we
  // spawned (runuser or postgres itself) to exit.
  void stop() {
    if (!proc_) return;
    if (pid_ > 0) ::kill(pid_, SIGINT);
    if (!proc_->wait_exit(30000ms)) {
      if (pid_ > 0) ::kill(pid_, SIGKILL);
      proc_->stop();
    }
    proc_.reset();
    pid_ = -1;
  }
  std::string url() const { return url_of("analytics"); }
  std::string url_of(const std::string& database) const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
  }
  // Creates another database on this server; returns its URL.
  std::string create_database(const std::string& name) const {
    auto r = run_command(std::string(kBin) + "/createdb -h 127.0.0.1 -p " + std::to_string(port_) + " -U postgres " +
                             shell_quote(name),
                         60);
    if (r.exit_code != 0) throw std::runtime_error("createdb " + name + " failed: " + r.output);
    return url_of(name);
  }
  std::string log() const { return read_file(dir_ / "postgres.log"); }

 private:
  std::string wrap(const std::string& cmd) const {
    return as_root_ ? "runuser -u postgres -- sh -c " + shell_quote(cmd) : cmd;
  }
  // The first line of postmaster.pid is the postmaster's PID.
  pid_t postmaster_pid() const {
    std::string s = read_file(dir_ / "data" / "postmaster.pid");
    if (s.empty()) return -1;
    return static_cast<pid_t>(std::atol(s.c_str()));
  }
  int port_;
  fs::path dir_;
  bool as_root_ = false;
  pid_t pid_ = -1;
  std::unique_ptr<Process> proc_;
};

}  // namespace postern::itest
