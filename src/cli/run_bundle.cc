// `postern run BUNDLE --trust KEY`: verify, extract into a private folder, serve, clean up.
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "bundle/beside_secrets.h"
#include "bundle/bundle.h"
#include "bundle/limits.h"
#include "cli/bundle_command.h"
#include "core/log.h"
#include "server/server.h"

namespace postern::cli {

namespace fs = std::filesystem;

namespace {

int refuse(const std::string& file, const std::string& message) {
  std::fprintf(stderr, "postern run: refusing bundle %s: %s\n", file.c_str(), message.c_str());
  return 1;
}

// The verified bundle, or an error. Reads at most the bundle limit.
Status load_verified(const std::string& file, const std::vector<std::string>& trust, bundle::VerifiedBundle& out) {
  std::vector<bundle::BundleKey> keys;
  if (Status s = bundle::load_trusted_keys(std::vector<fs::path>(trust.begin(), trust.end()), keys); !s) return s;
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return Status::error(ec.message());
  if (size > bundle::kMaxBundleBytes) return Status::error("larger than the bundle limit");
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) return Status::error("cannot be read");
  std::string bytes(size, '\0');
  size_t got = std::fread(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  if (got != bytes.size()) return Status::error("cannot be read");
  return bundle::verify_bundle(bytes, keys, out);
}

// A fresh private folder under $TMPDIR (or /tmp) holding the folder to extract into.
Status make_work_dir(fs::path& out) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/postern-bundle-XXXXXX";
  if (!::mkdtemp(pattern.data())) return Status::error("cannot create a folder under " + pattern);
  out = pattern;
  return {};
}

}  // namespace

int run_bundle_server(const std::string& bundle_file, const std::vector<std::string>& trust, unsigned workers) {
  if (trust.empty()) return refuse(bundle_file, "a bundle is served only with --trust KEY (its signer's public key)");
  bundle::VerifiedBundle verified;
  if (Status s = load_verified(bundle_file, trust, verified); !s) return refuse(bundle_file, s.message());
  fs::path work;
  if (Status s = make_work_dir(work); !s) return refuse(bundle_file, s.message());
  fs::path project = work / "project";
  std::vector<std::string> linked;
  Status s = bundle::extract_bundle(verified, project);
  if (s) s = bundle::link_beside_secrets(project, fs::absolute(bundle_file).parent_path(), linked);
  if (!s) {
    std::error_code ec;
    fs::remove_all(work, ec);
    return refuse(bundle_file, s.message());
  }
  log::info("bundle {}: sequence {}, digest {}, {} files, signed by key {}; extracted to {}", bundle_file,
            verified.sequence, verified.digest, verified.files.size(), verified.signer_key_id, project.string());
  for (const std::string& rel : linked)
    log::info("bundle {}: secret {} taken from beside the bundle", bundle_file, rel);
  server::ServerOptions options;
  options.project_dir = project;
  options.workers_override = workers;
  int rc = server::Server(options).run();
  std::error_code ec;
  fs::remove_all(work, ec);
  return rc;
}

}  // namespace postern::cli
