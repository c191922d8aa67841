#pragma once
// Integration-test harness: runs the real `postern` binary (and `postern echo`) on
// ephemeral loopback ports and talks to it with raw sockets, curl and openssl.
//
// Rules the harness enforces so a broken gateway fails a test instead of hanging CI:
// - every wait is bounded (explicit deadlines, never an unbounded read or waitpid);
// - every spawned process is killed by pid in a destructor (SIGTERM, then SIGKILL);
// - each test gets its own temp directory, ports and processes.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace postern::itest {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;
namespace fs = std::filesystem;

// Path of the binary under test: $POSTERN_BINARY, else the build's own postern.
std::string postern_binary();

// A free TCP port on 127.0.0.1 (bind to port 0, read it back, close).
int free_port();
// A TCP socket listening on 127.0.0.1 at a free port (set in `port`); -1 on failure.
int listen_loopback(int& port, int backlog = 64);

// Sleeps (only for pacing, never as a substitute for a condition we can poll).
void sleep_for(Millis d);

// Polls `pred` every 20 ms until it returns true or `timeout` passes.
template <class Pred>
bool eventually(Millis timeout, Pred pred) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (Clock::now() >= deadline) return false;
    sleep_for(20ms);
  }
}

// ---------------------------------------------------------------------------------------
// Files

// A fresh directory under $TMPDIR, removed on destruction (kept when POSTERN_TEST_KEEP=1).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(std::string_view rel) const { return path_ / rel; }

 private:
  fs::path path_;
};

void write_file(const fs::path& path, std::string_view content);  // creates parent dirs
std::string read_file(const fs::path& path);                      // "" when missing
std::string sha256_hex(std::string_view data);
// The deterministic body `postern echo` sends for bytes=N: byte i = 'a' + i % 26.
std::string pattern_body(size_t n);

// ---------------------------------------------------------------------------------------
// Processes

class Process {
 public:
  // Spawns argv[0] (a path) with stdout+stderr appended to `log_file`.
  Process(std::vector<std::string> argv, fs::path log_file, fs::path cwd = {});
  ~Process();  // stop() with a 5 s grace period
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) const;
  // True while the process has not exited (reaps it if it has).
  bool alive();
  // Waits up to `timeout` for exit; returns the wait status (see WIFEXITED) or nullopt.
  std::optional<int> wait_exit(Millis timeout);
  // SIGTERM, wait `grace`, then SIGKILL; always reaps.
  void stop(Millis grace = 5000ms);
  std::string log() const;  // what it wrote so far
  const fs::path& log_file() const { return log_file_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  fs::path log_file_;
};

// The first AddressSanitizer / LeakSanitizer / UBSan report in a process log (with a few
// lines of context), or "" when there is none.
std::string sanitizer_report(const std::string& log);

// Describes a wait status for assertion messages: "exited 0", "killed by signal 9".
std::string describe_status(int status);

// Result of running a shell command to completion.
struct CommandResult {
  int exit_code = -1;  // -1 when it did not exit normally
  std::string output;  // stdout (and stderr when merged)
};
// Runs `cmd` through /bin/sh with a hard `timeout_s` (coreutils timeout); stderr merged
// into output unless `merge_stderr` is false.
CommandResult run_command(const std::string& cmd, int timeout_s = 30, bool merge_stderr = true);
// Quotes a string for /bin/sh.
std::string shell_quote(std::string_view s);

// ---------------------------------------------------------------------------------------
// JSON (enough to read echo replies, error bodies and access-log lines)

struct Json {
  using Array = std::vector<Json>;
  using Object = std::map<std::string, Json>;
  std::variant<std::nullptr_t, bool, double, std::string, Array, Object> v = nullptr;

  static std::optional<Json> parse(std::string_view text);

  bool is_null() const { return std::holds_alternative<std::nullptr_t>(v); }
  bool is_string() const { return std::holds_alternative<std::string>(v); }
  bool is_number() const { return std::holds_alternative<double>(v); }
  bool is_object() const { return std::holds_alternative<Object>(v); }
  bool is_array() const { return std::holds_alternative<Array>(v); }
  bool has(const std::string& key) const;
  // Member access; returns a null Json when missing or not an object.
  const Json& operator[](const std::string& key) const;
  const Json& operator[](size_t i) const;
  size_t size() const;      // array/object size, else 0
  std::string str() const;  // string value, or "" (numbers rendered without ".0")
  double num() const;       // number value, or -1
  const Array& arr() const;
  const Object& obj() const;
};

// ---------------------------------------------------------------------------------------
// Raw HTTP/1.1 client

struct Response {
  std::string version;  // "HTTP/1.1"
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;                                          // de-chunked
  bool chunked = false;
  bool has_content_length = false;
  std::string raw_head;

  std::optional<std::string> header(std::string_view name) const;  // first value
  std::vector<std::string> headers_named(std::string_view name) const;
  bool has_header(std::string_view name) const { return header(name).has_value(); }
  std::optional<Json> json() const { return Json::parse(body); }
};

// One TCP connection to 127.0.0.1:port. All operations are bounded by a timeout.
class Conn {
 public:
  // Connects (retrying refused connections until `timeout`); check ok().
  explicit Conn(int port, Millis timeout = 5000ms);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  bool ok() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }

  // Sends all bytes (false on error/timeout).
  bool send(std::string_view bytes, Millis timeout = 10000ms);
  // Reads one response. `head_request`: the response has no body. 1xx responses are
  // returned as they come (call again for the final one). nullopt on timeout, EOF before
  // a complete response, or a malformed response (see error()).
  std::optional<Response> read_response(Millis timeout = 10000ms, bool head_request = false);
  // True when the peer closes (EOF or reset) within `timeout`. Data received meanwhile is
  // kept and available in pending().
  bool wait_closed(Millis timeout);
  // Everything received and not yet consumed by read_response().
  const std::string& pending() const { return buf_; }
  // Half-closes or fully closes our side.
  void shutdown_write();
  void close();
  int fd() const { return fd_; }

 private:
  // Reads more bytes into buf_; returns bytes read, 0 on EOF, -1 on error/timeout.
  long fill(Clock::time_point deadline);
  bool read_exact_until(size_t n, Clock::time_point deadline);
  int fd_ = -1;
  bool eof_ = false;
  std::string buf_;
  std::string error_;
};

// Builds a request: "METHOD target HTTP/1.1\r\nHost: host\r\n<headers>Content-Length: n\r\n\r\nbody".
// Content-Length is added when body is non-empty and no content-length/transfer-encoding
// header is given.
std::string make_request(std::string_view method, std::string_view target,
                         const std::vector<std::pair<std::string, std::string>>& headers = {},
                         std::string_view body = {}, std::string_view host = "gateway.test");

// Encodes `body` as chunked with chunks of `chunk_size` bytes (and the terminating 0 chunk).
std::string chunked_encode(std::string_view body, size_t chunk_size);

// One request on a fresh connection; nullopt when no response arrived.
std::optional<Response> http_request(int port, std::string_view method, std::string_view target,
                                     const std::vector<std::pair<std::string, std::string>>& headers = {},
                                     std::string_view body = {}, Millis timeout = 10000ms);

// True when something accepts TCP connections on 127.0.0.1:port right now.
bool port_open(int port);

// ---------------------------------------------------------------------------------------
// Development tokens

// Writes a key pair with openssl (`algorithm` "RSA" = RSA-2048, "EC" = P-256) to `key` and
// `pub` (PEM); returns "" or openssl's output on failure.
std::string make_signing_key(const fs::path& key, const fs::path& pub, const std::string& algorithm = "RSA");
// `postern token --key KEY --issuer ISSUER ARGS` (ARGS as shell words); the token, or "" on
// failure (with a gtest failure recorded).
std::string mint_token(const fs::path& key, const std::string& issuer, const std::string& args);
// The payload of a JWT, decoded independently of the gateway (openssl base64); a null Json
// (with a gtest failure recorded) when it is not one.
Json jwt_payload(const std::string& jwt);

// ---------------------------------------------------------------------------------------
// Test PKI (openssl CLI)

struct Pki {
  fs::path ca_cert, ca_key, server_cert, server_key;
};
// Creates a CA and a server certificate for 127.0.0.1 / localhost in `dir`, with file
// names prefixed by `prefix` (so two unrelated CAs can live in one dir).
Pki make_pki(const fs::path& dir, const std::string& prefix = "");

// ---------------------------------------------------------------------------------------
// Echo backend and gateway

class Echo {
 public:
  // Starts `postern echo` on a free port and waits until it accepts connections.
  explicit Echo(const fs::path& log_dir);
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  Process& process() { return *proc_; }

 private:
  int port_ = 0;
  std::unique_ptr<Process> proc_;
};

// The OpenAPI document the tests use: /pets/{version} with /items, /items/{id}.
std::string pets_api(const std::string& endpoint_url, const std::string& extra_paths = "",
                     const std::string& version = "1.0.0");

struct GatewayOptions {
  std::string workers = "2";
  std::vector<std::string> limits;      // "header_timeout: 1s", ...
  std::vector<std::string> forwarding;  // "preserve_host: true", ...
  bool tls_listener = false;            // adds an https listener with a generated cert
  std::string tls_client_auth;          // "optional"/"required": mutual TLS with the test CA
  std::string upstream_tls;             // "{ca_file: ca.pem, verify: true}" (verbatim)
  std::string access_log;               // "{enabled: true, path: access.log}" (verbatim)
  std::string security;                 // the body of the `security:` section, indented 2
  std::string throttling;               // the body of the `throttling:` section, indented 2
  std::string analytics;                // the body of the `analytics:` section, indented 2
  std::string dns;                      // the body of the `dns:` section, indented 2
  std::string admin_extra;              // appended inside admin: {...}, e.g. ", token_file: t"
  // apis/<name> -> document. Defaults to {"pets.yaml": pets_api(<echo url>)} when empty.
  std::map<std::string, std::string> apis;
};

class Gateway {
 public:
  // Writes the project into `dir` (postern.yaml + apis/) but does not start it.
  Gateway(const fs::path& dir, GatewayOptions options);
  ~Gateway();

  // Starts `postern run DIR` and waits for admin /ready == 200. Returns false (with the
  // log in `why`) when it did not become ready in `timeout`.
  bool start(std::string* why = nullptr, Millis timeout = 20000ms);

  int http_port() const { return http_port_; }
  int https_port() const { return https_port_; }
  int admin_port() const { return admin_port_; }
  const fs::path& dir() const { return dir_; }
  const Pki& pki() const { return pki_; }
  Process& process() { return *proc_; }
  bool running() const { return proc_ != nullptr; }
  std::string log() const;

  std::string config_yaml() const;
  void write_project() const;

 private:
  fs::path dir_;
  GatewayOptions options_;
  int http_port_ = 0, https_port_ = 0, admin_port_ = 0;
  Pki pki_;
  std::unique_ptr<Process> proc_;
};

}  // namespace postern::itest
