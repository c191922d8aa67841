// `postern run BUNDLE --trust KEY`: verify, extract into a private folder, serve, clean up.
#include <cstdio>
#include <filesystem>

#include "bundle/bundle.h"
#include "cli/bundle_command.h"
#include "controlplane/extracted_bundles.h"
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
  std::string bytes;
  if (Status s = bundle::read_bundle_file(file, bytes); !s) return s;
  return bundle::verify_bundle(bytes, keys, out);
}

}  // namespace

int run_bundle_server(const std::string& bundle_file, const std::vector<std::string>& trust, unsigned workers) {
  if (trust.empty()) return refuse(bundle_file, "a bundle is served only with --trust KEY (its signer's public key)");
  bundle::VerifiedBundle verified;
  if (Status s = load_verified(bundle_file, trust, verified); !s) return refuse(bundle_file, s.message());
  controlplane::ExtractedBundles folders;
  fs::path project;
  std::vector<std::string> linked;
  Status s = folders.open();
  if (s) s = folders.extract(verified, fs::absolute(bundle_file).parent_path(), project, linked);
  if (!s) return refuse(bundle_file, s.message());
  log::info("bundle {}: sequence {}, digest {}, {} files, signed by key {}; extracted to {}", bundle_file,
            verified.sequence, verified.digest, verified.files.size(), verified.signer_key_id, project.string());
  for (const std::string& rel : linked)
    log::info("bundle {}: secret {} taken from beside the bundle", bundle_file, rel);
  server::ServerOptions options;
  options.project_dir = project;
  options.workers_override = workers;
  options.bundle = server::ActiveBundle{verified.sequence, verified.digest, verified.signer_key_id,
                                        fs::absolute(bundle_file).string()};
  return server::Server(options).run();
}

}  // namespace postern::cli
