#include "harness.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace postern::itest {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c + 32);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Tests never want SIGPIPE to kill the runner.
struct IgnoreSigpipe {
  IgnoreSigpipe() { ::signal(SIGPIPE, SIG_IGN); }
} ignore_sigpipe;

}  // namespace

std::string postern_binary() {
  if (const char* env = std::getenv("POSTERN_BINARY"); env && *env) return env;
#ifdef POSTERN_BINARY
  return POSTERN_BINARY;
#else
  return "build/postern";
#endif
}

int listen_loopback(int& port, int backlog) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, backlog) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("bind");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

void sleep_for(Millis d) { std::this_thread::sleep_for(d); }

// ---------------------------------------------------------------------------------------

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/postern-itest-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  const char* keep = std::getenv("POSTERN_TEST_KEEP");
  if (keep && std::string(keep) == "1") return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_file(const fs::path& path, std::string_view content) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  // Write to a temp name and rename, so a reloading gateway never sees a half file.
  fs::path tmp = path;
  tmp += ".tmp-write";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(content.data(), std::streamsize(content.size()));
    if (!out) throw std::runtime_error("write " + path.string());
  }
  fs::rename(tmp, path);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::string pattern_body(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = char('a' + i % 26);
  return s;
}

// ---------------------------------------------------------------------------------------

Process::Process(std::vector<std::string> argv, fs::path log_file, fs::path cwd) : log_file_(std::move(log_file)) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  // The child gets a fresh process group so a stray grandchild can be reaped with it, and
  // default signal dispositions (we ignore SIGPIPE in the runner).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGHUP);
  sigaddset(&defaults, SIGINT);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int rc = posix_spawn(&pid_, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
  }
}

Process::~Process() { stop(); }

void Process::signal(int sig) const {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

bool Process::alive() {
  if (pid_ <= 0 || status_) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = st;
    return false;
  }
  return true;
}

std::optional<int> Process::wait_exit(Millis timeout) {
  if (pid_ <= 0) return std::nullopt;
  if (status_) return status_;
  auto deadline = Clock::now() + timeout;
  for (;;) {
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = st;
      return status_;
    }
    if (r < 0) return std::nullopt;
    if (Clock::now() >= deadline) return std::nullopt;
    sleep_for(10ms);
  }
}

void Process::stop(Millis grace) {
  if (pid_ <= 0 || status_) return;
  ::kill(pid_, SIGTERM);
  if (wait_exit(grace)) return;
  ::kill(pid_, SIGKILL);
  wait_exit(5000ms);
}

std::string Process::log() const { return read_file(log_file_); }

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

std::string sanitizer_report(const std::string& log) {
  for (const char* marker :
       {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "WARNING: ThreadSanitizer"}) {
    size_t at = log.find(marker);
    if (at == std::string::npos) continue;
    size_t start = log.rfind('\n', at);
    start = start == std::string::npos ? 0 : start + 1;
    return log.substr(start, 3000);
  }
  return {};
}

std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  out += "'";
  return out;
}

CommandResult run_command(const std::string& cmd, int timeout_s, bool merge_stderr) {
  std::string full = "timeout -k 2 " + std::to_string(timeout_s) + " sh -c " + shell_quote(cmd);
  if (merge_stderr) full += " 2>&1";
  full += " </dev/null";
  CommandResult result;
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) return result;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) result.output.append(buf, n);
  int st = ::pclose(p);
  if (st != -1 && WIFEXITED(st)) result.exit_code = WEXITSTATUS(st);
  return result;
}

// ---------------------------------------------------------------------------------------
// JSON

namespace {

struct JsonParser {
  std::string_view s;
  size_t i = 0;
  bool ok = true;

  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  }
  bool lit(std::string_view w) {
    if (s.substr(i, w.size()) == w) {
      i += w.size();
      return true;
    }
    return false;
  }
  static void utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }
  bool hex4(unsigned& cp) {
    if (i + 4 > s.size()) return false;
    cp = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s[i++];
      cp <<= 4;
      if (c >= '0' && c <= '9') cp |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') cp |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') cp |= unsigned(c - 'A' + 10);
      else return false;
    }
    return true;
  }
  bool string(std::string& out) {
    if (i >= s.size() || s[i] != '"') return false;
    ++i;
    while (i < s.size()) {
      char c = s[i++];
      if (c == '"') return true;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i >= s.size()) return false;
      char e = s[i++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && lit("\\u")) {
            unsigned lo;
            if (!hex4(lo)) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          utf8(out, cp);
          break;
        }
        default: return false;
      }
    }
    return false;
  }
  Json value(int depth) {
    Json j;
    if (depth > 64) {
      ok = false;
      return j;
    }
    ws();
    if (i >= s.size()) {
      ok = false;
      return j;
    }
    char c = s[i];
    if (c == '{') {
      ++i;
      Json::Object o;
      ws();
      if (i < s.size() && s[i] == '}') {
        ++i;
        j.v = std::move(o);
        return j;
      }
      for (;;) {
        ws();
        std::string k;
        if (!string(k)) {
          ok = false;
          return j;
        }
        ws();
        if (i >= s.size() || s[i] != ':') {
          ok = false;
          return j;
        }
        ++i;
        o[k] = value(depth + 1);
        if (!ok) return j;
        ws();
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        if (i < s.size() && s[i] == '}') {
          ++i;
          break;
        }
        ok = false;
        return j;
      }
      j.v = std::move(o);
    } else if (c == '[') {
      ++i;
      Json::Array a;
      ws();
      if (i < s.size() && s[i] == ']') {
        ++i;
        j.v = std::move(a);
        return j;
      }
      for (;;) {
        a.push_back(value(depth + 1));
        if (!ok) return j;
        ws();
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        if (i < s.size() && s[i] == ']') {
          ++i;
          break;
        }
        ok = false;
        return j;
      }
      j.v = std::move(a);
    } else if (c == '"') {
      std::string str;
      if (!string(str)) ok = false;
      j.v = std::move(str);
    } else if (lit("true")) {
      j.v = true;
    } else if (lit("false")) {
      j.v = false;
    } else if (lit("null")) {
      j.v = nullptr;
    } else {
      size_t start = i;
      while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '-' || s[i] == '+' ||
                              s[i] == '.' || s[i] == 'e' || s[i] == 'E'))
        ++i;
      if (start == i) {
        ok = false;
        return j;
      }
      j.v = std::strtod(std::string(s.substr(start, i - start)).c_str(), nullptr);
    }
    return j;
  }
};

const Json& null_json() {
  static const Json n;
  return n;
}

}  // namespace

std::optional<Json> Json::parse(std::string_view text) {
  JsonParser p{text};
  Json j = p.value(0);
  p.ws();
  if (!p.ok || p.i != text.size()) return std::nullopt;
  return j;
}

bool Json::has(const std::string& key) const {
  auto* o = std::get_if<Object>(&v);
  return o && o->count(key);
}
const Json& Json::operator[](const std::string& key) const {
  auto* o = std::get_if<Object>(&v);
  if (!o) return null_json();
  auto it = o->find(key);
  return it == o->end() ? null_json() : it->second;
}
const Json& Json::operator[](size_t i) const {
  auto* a = std::get_if<Array>(&v);
  if (!a || i >= a->size()) return null_json();
  return (*a)[i];
}
size_t Json::size() const {
  if (auto* a = std::get_if<Array>(&v)) return a->size();
  if (auto* o = std::get_if<Object>(&v)) return o->size();
  return 0;
}
std::string Json::str() const {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* d = std::get_if<double>(&v)) {
    if (*d == double(int64_t(*d))) return std::to_string(int64_t(*d));
    return std::to_string(*d);
  }
  return {};
}
double Json::num() const {
  if (auto* d = std::get_if<double>(&v)) return *d;
  return -1;
}
const Json::Array& Json::arr() const {
  static const Array empty;
  auto* a = std::get_if<Array>(&v);
  return a ? *a : empty;
}
const Json::Object& Json::obj() const {
  static const Object empty;
  auto* o = std::get_if<Object>(&v);
  return o ? *o : empty;
}

// ---------------------------------------------------------------------------------------
// HTTP client

std::optional<std::string> Response::header(std::string_view name) const {
  std::string n = lower(name);
  for (auto& [k, v] : headers)
    if (k == n) return v;
  return std::nullopt;
}

std::vector<std::string> Response::headers_named(std::string_view name) const {
  std::string n = lower(name);
  std::vector<std::string> out;
  for (auto& [k, v] : headers)
    if (k == n) out.push_back(v);
  return out;
}

Conn::Conn(int port, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(uint16_t(port));
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) break;
    error_ = std::string("connect: ") + std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    if (Clock::now() >= deadline) return;
    sleep_for(20ms);
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  error_.clear();
}

Conn::~Conn() { close(); }

void Conn::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void Conn::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

static int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return left < 0 ? 0 : int(left);
}

bool Conn::send(std::string_view bytes, Millis timeout) {
  if (fd_ < 0) return false;
  auto deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(size_t(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      int left = remaining_ms(deadline);
      if (left == 0 || ::poll(&p, 1, left) <= 0) {
        error_ = "send timed out";
        return false;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    error_ = std::string("send: ") + std::strerror(errno);
    return false;
  }
  return true;
}

long Conn::fill(Clock::time_point deadline) {
  if (fd_ < 0 || eof_) return 0;
  char tmp[65536];
  for (;;) {
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n > 0) {
      buf_.append(tmp, size_t(n));
      return n;
    }
    if (n == 0) {
      eof_ = true;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd_, POLLIN, 0};
      int left = remaining_ms(deadline);
      if (left == 0) {
        error_ = "read timed out";
        return -1;
      }
      int r = ::poll(&p, 1, left);
      if (r <= 0) {
        error_ = "read timed out";
        return -1;
      }
      continue;
    }
    // ECONNRESET and friends: treat as the peer closing.
    error_ = std::string("recv: ") + std::strerror(errno);
    eof_ = true;
    return 0;
  }
}

bool Conn::read_exact_until(size_t n, Clock::time_point deadline) {
  while (buf_.size() < n) {
    long r = fill(deadline);
    if (r <= 0) {
      if (r == 0 && error_.empty()) error_ = "connection closed before the full response";
      return false;
    }
  }
  return true;
}

bool Conn::wait_closed(Millis timeout) {
  auto deadline = Clock::now() + timeout;
  while (!eof_) {
    long r = fill(deadline);
    if (r < 0) return false;
  }
  return true;
}

std::optional<Response> Conn::read_response(Millis timeout, bool head_request) {
  auto deadline = Clock::now() + timeout;
  error_.clear();
  size_t head_end;
  for (;;) {
    head_end = buf_.find("\r\n\r\n");
    if (head_end != std::string::npos) break;
    long r = fill(deadline);
    if (r < 0) return std::nullopt;
    if (r == 0) {
      if (error_.empty())
        error_ = buf_.empty() ? "connection closed without a response" : "connection closed inside the response head";
      return std::nullopt;
    }
  }
  Response resp;
  resp.raw_head = buf_.substr(0, head_end + 4);
  std::string_view head(resp.raw_head.data(), head_end);
  size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  // "HTTP/1.1 200 OK"
  size_t sp1 = status_line.find(' ');
  if (sp1 == std::string_view::npos || status_line.substr(0, 5) != "HTTP/") {
    error_ = "bad status line: " + std::string(status_line);
    return std::nullopt;
  }
  resp.version = std::string(status_line.substr(0, sp1));
  std::string_view rest = status_line.substr(sp1 + 1);
  size_t sp2 = rest.find(' ');
  std::string_view code = rest.substr(0, sp2);
  if (code.size() != 3 || std::from_chars(code.data(), code.data() + 3, resp.status).ec != std::errc()) {
    error_ = "bad status code: " + std::string(status_line);
    return std::nullopt;
  }
  if (sp2 != std::string_view::npos) resp.reason = std::string(rest.substr(sp2 + 1));
  std::string_view lines = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  while (!lines.empty()) {
    size_t e = lines.find("\r\n");
    std::string_view line = lines.substr(0, e);
    lines = e == std::string_view::npos ? std::string_view() : lines.substr(e + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      error_ = "bad header line: " + std::string(line);
      return std::nullopt;
    }
    resp.headers.emplace_back(lower(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
  }
  buf_.erase(0, head_end + 4);

  bool no_body = head_request || resp.status / 100 == 1 || resp.status == 204 || resp.status == 304;
  if (no_body) return resp;

  auto te = resp.header("transfer-encoding");
  auto cl = resp.header("content-length");
  if (te && lower(*te).find("chunked") != std::string::npos) {
    resp.chunked = true;
    for (;;) {
      size_t line_end;
      while ((line_end = buf_.find("\r\n")) == std::string::npos) {
        if (fill(deadline) <= 0) {
          if (error_.empty()) error_ = "closed inside a chunk size line";
          return std::nullopt;
        }
      }
      std::string size_line = buf_.substr(0, line_end);
      size_t semi = size_line.find(';');
      std::string hex = std::string(trim(size_line.substr(0, semi)));
      size_t size = 0;
      auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), size, 16);
      if (ec != std::errc() || p != hex.data() + hex.size() || hex.empty()) {
        error_ = "bad chunk size line: " + size_line;
        return std::nullopt;
      }
      buf_.erase(0, line_end + 2);
      if (size == 0) {
        // Trailers until an empty line.
        for (;;) {
          while ((line_end = buf_.find("\r\n")) == std::string::npos) {
            if (fill(deadline) <= 0) {
              if (error_.empty()) error_ = "closed inside chunked trailers";
              return std::nullopt;
            }
          }
          bool empty = line_end == 0;
          buf_.erase(0, line_end + 2);
          if (empty) return resp;
        }
      }
      if (!read_exact_until(size + 2, deadline)) return std::nullopt;
      if (buf_.compare(size, 2, "\r\n") != 0) {
        error_ = "chunk data not followed by CRLF";
        return std::nullopt;
      }
      resp.body.append(buf_, 0, size);
      buf_.erase(0, size + 2);
    }
  }
  if (cl) {
    resp.has_content_length = true;
    size_t n = 0;
    auto [p, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
    if (ec != std::errc() || p != cl->data() + cl->size()) {
      error_ = "bad Content-Length in response: " + *cl;
      return std::nullopt;
    }
    if (!read_exact_until(n, deadline)) return std::nullopt;
    resp.body = buf_.substr(0, n);
    buf_.erase(0, n);
    return resp;
  }
  // Body delimited by close.
  while (!eof_) {
    if (fill(deadline) < 0) return std::nullopt;
  }
  resp.body = std::move(buf_);
  buf_.clear();
  return resp;
}

std::string make_request(std::string_view method, std::string_view target,
                         const std::vector<std::pair<std::string, std::string>>& headers, std::string_view body,
                         std::string_view host) {
  std::string r;
  r.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  bool has_host = false, has_length = false;
  for (auto& [k, v] : headers) {
    std::string lk = lower(k);
    if (lk == "host") has_host = true;
    if (lk == "content-length" || lk == "transfer-encoding") has_length = true;
  }
  if (!has_host) r.append("Host: ").append(host).append("\r\n");
  for (auto& [k, v] : headers) r.append(k).append(": ").append(v).append("\r\n");
  if (!body.empty() && !has_length) r.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  r.append("\r\n");
  r.append(body);
  return r;
}

std::string chunked_encode(std::string_view body, size_t chunk_size) {
  std::string out;
  char hex[32];
  while (!body.empty()) {
    size_t n = std::min(chunk_size, body.size());
    std::snprintf(hex, sizeof hex, "%zx\r\n", n);
    out.append(hex);
    out.append(body.substr(0, n));
    out.append("\r\n");
    body.remove_prefix(n);
  }
  out.append("0\r\n\r\n");
  return out;
}

std::optional<Response> http_request(int port, std::string_view method, std::string_view target,
                                     const std::vector<std::pair<std::string, std::string>>& headers,
                                     std::string_view body, Millis timeout) {
  Conn c(port, 2000ms);
  if (!c.ok()) return std::nullopt;
  if (!c.send(make_request(method, target, headers, body), timeout)) return std::nullopt;
  return c.read_response(timeout, method == "HEAD");
}

bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(uint16_t(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// ---------------------------------------------------------------------------------------

std::string make_signing_key(const fs::path& key, const fs::path& pub, const std::string& algorithm) {
  std::string gen = algorithm == "EC" ? "-algorithm EC -pkeyopt ec_paramgen_curve:P-256"
                                      : "-algorithm RSA -pkeyopt rsa_keygen_bits:2048";
  auto k = run_command("openssl genpkey " + gen + " -out " + shell_quote(key.string()) + " && openssl pkey -in " +
                       shell_quote(key.string()) + " -pubout -out " + shell_quote(pub.string()));
  return k.exit_code == 0 ? "" : k.output;
}

std::string mint_token(const fs::path& key, const std::string& issuer, const std::string& args) {
  auto r = run_command(shell_quote(postern_binary()) + " token --key " + shell_quote(key.string()) + " --issuer " +
                           shell_quote(issuer) + " " + args,
                       30, false);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::string t = r.exit_code == 0 ? r.output : "";
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t;
}

Json jwt_payload(const std::string& jwt) {
  std::string payload = jwt.substr(jwt.find('.') + 1);
  payload = payload.substr(0, payload.find('.'));
  for (char& c : payload) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (payload.size() % 4) payload += '=';
  auto dec = run_command("printf %s " + shell_quote(payload) + " | openssl base64 -d -A", 30, false);
  auto json = Json::parse(dec.output);
  EXPECT_TRUE(json) << "not a JWT payload: " << dec.output;
  return json ? *json : Json{};
}

Pki make_pki(const fs::path& dir, const std::string& prefix) {
  fs::create_directories(dir);
  Pki p;
  p.ca_cert = dir / (prefix + "ca.pem");
  p.ca_key = dir / (prefix + "ca.key");
  p.server_cert = dir / (prefix + "server.pem");
  p.server_key = dir / (prefix + "server.key");
  fs::path csr = dir / (prefix + "server.csr");
  fs::path ext = dir / (prefix + "server.ext");
  write_file(ext,
             "basicConstraints=CA:FALSE\n"
             "keyUsage=critical,digitalSignature,keyEncipherment\n"
             "extendedKeyUsage=serverAuth\n"
             "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  auto q = [](const fs::path& f) { return shell_quote(f.string()); };
  std::string cmd =
      "set -e; "
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj '/CN=Postern Test CA " +
      prefix + "' -keyout " + q(p.ca_key) + " -out " + q(p.ca_cert) +
      " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign; "
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost "
      "-keyout " +
      q(p.server_key) + " -out " + q(csr) +
      "; "
      "openssl x509 -req -in " +
      q(csr) + " -CA " + q(p.ca_cert) + " -CAkey " + q(p.ca_key) + " -CAcreateserial -days 2 -extfile " + q(ext) +
      " -out " + q(p.server_cert);
  auto r = run_command(cmd, 60);
  if (r.exit_code != 0) throw std::runtime_error("openssl failed: " + r.output);
  return p;
}

// ---------------------------------------------------------------------------------------

Echo::Echo(const fs::path& log_dir) {
  // A port picked by free_port() can be taken by someone else before we bind it: retry.
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_port();
    proc_ = std::make_unique<Process>(std::vector<std::string>{postern_binary(), "echo", "--listen",
                                                               "127.0.0.1:" + std::to_string(port_)},
                                      log_dir / ("echo-" + std::to_string(port_) + ".log"));
    bool up = eventually(10000ms, [&] { return port_open(port_) || !proc_->alive(); });
    if (up && proc_->alive()) return;
    proc_->stop(1000ms);
  }
  throw std::runtime_error("postern echo did not start: " + proc_->log());
}

std::string pets_api(const std::string& endpoint_url, const std::string& extra_paths, const std::string& version) {
  return "openapi: 3.0.0\n"
         "x-wso2-disable-security: true\n"  // these tests are about proxying, not security
         "info: {title: Pets, version: " +
         version +
         "}\n"
         "x-wso2-basePath: /pets/{version}\n"
         "x-wso2-production-endpoints: {urls: [\"" +
         endpoint_url +
         "\"]}\n"
         "paths:\n"
         "  /items: {get: {}, post: {}}\n"
         "  /items/{id}: {get: {}, delete: {}, put: {}, head: {}}\n" +
         extra_paths;
}

Gateway::Gateway(const fs::path& dir, GatewayOptions options) : dir_(dir), options_(std::move(options)) {
  http_port_ = free_port();
  admin_port_ = free_port();
  if (options_.tls_listener) {
    https_port_ = free_port();
    pki_ = make_pki(dir_ / "pki");
  }
  write_project();
}

Gateway::~Gateway() {
  if (proc_) proc_->stop();
}

std::string Gateway::config_yaml() const {
  std::string y;
  y += "listeners:\n";
  y += "  - {name: http, address: \"127.0.0.1:" + std::to_string(http_port_) + "\"}\n";
  if (options_.tls_listener)
    y += "  - {name: https, address: \"127.0.0.1:" + std::to_string(https_port_) +
         "\", tls: {cert: pki/server.pem, key: pki/server.key" +
         (options_.tls_client_auth.empty() ? std::string()
                                           : ", client_ca: pki/ca.pem, client_auth: " + options_.tls_client_auth) +
         "}}\n";
  y += "admin: {address: \"127.0.0.1:" + std::to_string(admin_port_) + "\"" + options_.admin_extra + "}\n";
  y += "workers: " + options_.workers + "\n";
  y += "apis: apis/\n";
  if (!options_.limits.empty()) {
    y += "limits:\n";
    for (auto& l : options_.limits) y += "  " + l + "\n";
  }
  if (!options_.forwarding.empty()) {
    y += "forwarding:\n";
    for (auto& l : options_.forwarding) y += "  " + l + "\n";
  }
  if (!options_.upstream_tls.empty()) y += "upstream_tls: " + options_.upstream_tls + "\n";
  if (!options_.access_log.empty()) y += "access_log: " + options_.access_log + "\n";
  if (!options_.security.empty()) y += "security:\n" + options_.security;
  if (!options_.throttling.empty()) y += "throttling:\n" + options_.throttling;
  if (!options_.analytics.empty()) y += "analytics:\n" + options_.analytics;
  if (!options_.dns.empty()) y += "dns:\n" + options_.dns;
  return y;
}

void Gateway::write_project() const {
  write_file(dir_ / "postern.yaml", config_yaml());
  fs::create_directories(dir_ / "apis");
  for (auto& [name, doc] : options_.apis) write_file(dir_ / "apis" / name, doc);
}

std::string Gateway::log() const { return read_file(dir_ / "postern.log"); }

bool Gateway::start(std::string* why, Millis timeout) {
  proc_ = std::make_unique<Process>(std::vector<std::string>{postern_binary(), "--log-level", "debug", "run",
                                                             dir_.string()},
                                    dir_ / "postern.log");
  bool ready = eventually(timeout, [&] {
    if (!proc_->alive()) return true;
    auto r = http_request(admin_port_, "GET", "/ready", {}, {}, 1000ms);
    return r && r->status == 200;
  });
  if (ready && proc_->alive()) return true;
  if (why) {
    *why = proc_->alive() ? "gateway not ready after " + std::to_string(timeout.count()) + " ms"
                          : "gateway exited during start-up";
    *why += "\n--- postern.yaml ---\n" + config_yaml() + "--- log ---\n" + log();
  }
  return false;
}

}  // namespace postern::itest
