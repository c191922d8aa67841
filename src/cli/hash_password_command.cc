#include "cli/hash_password_command.h"

#include <openssl/crypto.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>

#include "filters/auth/password_hash.h"

namespace postern::cli {
namespace {

constexpr size_t kMaxPassword = 1024;

// Restores the terminal if the user hits Ctrl-C at the prompt (tcsetattr is
// async-signal-safe), then lets the signal do its default thing.
struct termios g_saved_termios;
volatile sig_atomic_t g_echo_off = 0;

void restore_and_reraise(int sig) {
  if (g_echo_off) tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  signal(sig, SIG_DFL);
  raise(sig);
}

class EchoOff {
 public:
  EchoOff() {
    if (tcgetattr(STDIN_FILENO, &g_saved_termios) != 0) return;
    struct termios t = g_saved_termios;
    t.c_lflag &= ~tcflag_t(ECHO);
    t.c_lflag |= ECHONL;
    signal(SIGINT, restore_and_reraise);
    signal(SIGTERM, restore_and_reraise);
    signal(SIGHUP, restore_and_reraise);
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0) g_echo_off = 1;
  }
  ~EchoOff() {
    if (g_echo_off) tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
    g_echo_off = 0;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
};

// Reads one line from fd 0 byte by byte (no stdio buffer holding a copy). Returns false on
// a read error or an over-long line; EOF without a newline ends the line.
bool read_line(std::string& out) {
  out.clear();
  out.reserve(kMaxPassword + 1);  // never reallocates: no stray copies to wipe
  for (;;) {
    char c;
    ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0 || c == '\n') break;
    if (out.size() >= kMaxPassword) return false;
    out.push_back(c);
  }
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return true;
}

void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace

int run_hash_password() {
  const bool tty = isatty(STDIN_FILENO) == 1;
  std::string password, confirm;
  bool ok;
  {
    std::optional<EchoOff> echo_off;
    if (tty) {
      echo_off.emplace();
      std::fputs("Password: ", stderr);
      std::fflush(stderr);
    }
    ok = read_line(password);
    if (ok && tty && !password.empty()) {
      std::fputs("Confirm password: ", stderr);
      std::fflush(stderr);
      ok = read_line(confirm);
      if (ok && confirm != password) {
        wipe(password);
        wipe(confirm);
        std::fputs("postern hash-password: passwords do not match\n", stderr);
        return 1;
      }
    }
  }
  wipe(confirm);
  if (!ok) {
    wipe(password);
    std::fprintf(stderr, "postern hash-password: cannot read the password from stdin (at most %zu bytes)\n",
                 kMaxPassword);
    return 1;
  }
  if (password.empty()) {
    std::fputs("postern hash-password: empty password\n", stderr);
    return 1;
  }
  std::string encoded = filters::hash_password(password);
  wipe(password);
  if (encoded.empty()) {
    std::fputs("postern hash-password: hashing failed (OpenSSL)\n", stderr);
    return 1;
  }
  std::printf("%s\n", encoded.c_str());
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace postern::cli
