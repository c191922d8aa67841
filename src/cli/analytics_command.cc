#include "cli/analytics_command.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "collector/collector_server.h"
#include "collector/event_store.h"
#include "collector/report.h"
#include "collector/report_render.h"
#include "collector/time_util.h"

namespace postern::cli {
namespace {

// Secrets come from the environment or a file, never from the command line (where `ps`
// and shell history would show them).
bool read_env(const std::string& name, const char* what, std::string& out) {
  const char* v = std::getenv(name.c_str());
  if (!v || !*v) {
    std::fprintf(stderr, "postern analytics collect: %s: environment variable %s is unset or empty\n", what,
                 name.c_str());
    return false;
  }
  out = v;
  return true;
}

bool read_secret_file(const std::string& path, const char* what, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "postern analytics collect: %s: cannot read %s\n", what, path.c_str());
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (out.empty()) {
    std::fprintf(stderr, "postern analytics collect: %s: %s is empty\n", what, path.c_str());
    return false;
  }
  return true;
}

}  // namespace

int run_analytics_collect(const CollectOptions& o) {
  collector::CollectorOptions c;
  c.listen = o.listen;
  c.db_url = o.db;
  c.tls_cert = o.tls_cert;
  c.tls_key = o.tls_key;
  c.max_file_size = o.max_file_size;
  c.allow_anonymous = o.insecure_no_auth;
  if (!o.token_env.empty() && !o.token_file.empty()) {
    std::fprintf(stderr, "postern analytics collect: --token-env and --token-file are alternatives\n");
    return 2;
  }
  std::string secret;
  if (!o.token_env.empty()) {
    if (!read_env(o.token_env, "bearer token", secret)) return 2;
    c.credentials.set_token(secret);
  } else if (!o.token_file.empty()) {
    if (!read_secret_file(o.token_file, "bearer token", secret)) return 2;
    c.credentials.set_token(secret);
  }
  if (o.basic_user.empty() != o.password_env.empty()) {
    std::fprintf(stderr, "postern analytics collect: --basic-user and --password-env go together\n");
    return 2;
  }
  if (!o.basic_user.empty()) {
    if (!read_env(o.password_env, "basic password", secret)) return 2;
    c.credentials.set_basic(o.basic_user, secret);
  }
  if (o.max_file_size == 0) {
    std::fprintf(stderr, "postern analytics collect: --max-file-size must be positive\n");
    return 2;
  }
  return collector::run_collector(c);
}

int run_analytics_report(const ReportOptions& o) {
  int64_t now = collector::now_us();
  collector::TimeWindow window;
  if (!o.since.empty()) {
    window.since_us = collector::parse_time(o.since, now);
    if (!window.since_us) {
      std::fprintf(stderr,
                   "postern analytics report: bad --since %s (ISO-8601 UTC like 2026-11-26T09:00:00Z, "
                   "or an age like 30m, 24h, 7d)\n",
                   o.since.c_str());
      return 2;
    }
  }
  if (!o.until.empty()) {
    window.until_us = collector::parse_time(o.until, now);
    if (!window.until_us) {
      std::fprintf(stderr, "postern analytics report: bad --until %s\n", o.until.c_str());
      return 2;
    }
  }
  if (window.since_us && window.until_us && *window.until_us <= *window.since_us) {
    std::fprintf(stderr, "postern analytics report: --until must be after --since\n");
    return 2;
  }
  if (o.format != "text" && o.format != "json" && o.format != "html") {
    std::fprintf(stderr, "postern analytics report: --format is text, json or html\n");
    return 2;
  }
  std::string out;
  try {
    auto store = collector::open_event_store(o.db);
    collector::Report report = collector::build_report(*store, window, now);
    out = o.format == "json"   ? collector::render_json(report)
          : o.format == "html" ? collector::render_html(report)
                               : collector::render_text(report);
  } catch (const collector::StoreUnavailable& e) {
    std::fprintf(stderr, "postern analytics report: %s\n", e.what());
    return 1;
  }
  if (o.output.empty()) {
    std::fwrite(out.data(), 1, out.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  // Written next to the target and renamed, so a reader never sees half a report.
  std::string tmp = o.output + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    f.flush();
    if (!f) {
      std::fprintf(stderr, "postern analytics report: cannot write %s\n", tmp.c_str());
      std::remove(tmp.c_str());
      return 1;
    }
  }
  if (std::rename(tmp.c_str(), o.output.c_str()) != 0) {
    std::fprintf(stderr, "postern analytics report: cannot rename %s to %s\n", tmp.c_str(), o.output.c_str());
    std::remove(tmp.c_str());
    return 1;
  }
  return 0;
}

}  // namespace postern::cli
