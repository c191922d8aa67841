#pragma once
// `postern analytics collect` and `postern analytics report` (docs/analytics.md).
#include <cstddef>
#include <string>

namespace postern::cli {

struct CollectOptions {
  std::string listen = "127.0.0.1:9470";
  std::string db;
  std::string token_env, token_file;     // bearer token: from an env var or a file
  std::string basic_user, password_env;  // Basic user and the env var with its password
  std::string tls_cert, tls_key;
  size_t max_file_size = 256u << 20;
  bool insecure_no_auth = false;
};

struct ReportOptions {
  std::string db;
  std::string since, until;  // ISO-8601 UTC or an age ("24h"); "" = open
  std::string format = "text";
  std::string output;  // "" = stdout
};

int run_analytics_collect(const CollectOptions& options);
int run_analytics_report(const ReportOptions& options);

}  // namespace postern::cli
