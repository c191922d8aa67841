#include "cli/bundle_command.h"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bundle/beside_secrets.h"
#include "bundle/bundle.h"
#include "bundle/limits.h"
#include "bundle/project_files.h"

namespace postern::cli {

namespace fs = std::filesystem;

namespace {

int fail(std::string_view what, const std::string& message) {
  std::fprintf(stderr, "postern %.*s: %s\n", static_cast<int>(what.size()), what.data(), message.c_str());
  return 1;
}

Status read_bundle_file(const std::string& file, std::string& out) {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return Status::error(file + ": " + ec.message());
  if (size > bundle::kMaxBundleBytes) return Status::error(file + ": larger than the bundle limit");
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::error(file + ": cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return {};
}

// Writes next to `file` and renames, so a reader never sees half a bundle.
Status write_atomically(const std::string& file, const std::string& bytes) {
  std::string tmp = file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) return Status::error("cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) return Status::error("cannot rename " + tmp + " to " + file + ": " + ec.message());
  return {};
}

Status load_trust(const std::vector<std::string>& files, std::vector<bundle::BundleKey>& keys) {
  std::vector<fs::path> paths(files.begin(), files.end());
  return bundle::load_trusted_keys(paths, keys);
}

int run_build(const BundleCommand& c) {
  bundle::BundleKey key;
  if (Status s = bundle::load_signing_key(c.sign_key, key); !s) return fail("bundle build", s.message());
  std::vector<bundle::BundleFile> files;
  if (Status s = bundle::collect_project_files(c.project, files); !s) return fail("bundle build", s.message());
  uint64_t sequence = c.sequence >= 0 ? static_cast<uint64_t>(c.sequence) : static_cast<uint64_t>(std::time(nullptr));
  std::string bytes;
  if (Status s = bundle::build_bundle(files, sequence, key, bytes); !s) return fail("bundle build", s.message());
  if (Status s = write_atomically(c.output, bytes); !s) return fail("bundle build", s.message());
  bundle::BundleSummary summary;
  (void)bundle::inspect_bundle(bytes, summary);
  std::printf("wrote %s: %zu files, sequence %llu, digest %s, signed %s by key %s\n", c.output.c_str(), files.size(),
              static_cast<unsigned long long>(sequence), summary.digest.c_str(),
              std::string(jose::alg_name(key.alg)).c_str(), key.id.c_str());
  return 0;
}

int run_verify(const BundleCommand& c) {
  std::vector<bundle::BundleKey> keys;
  if (Status s = load_trust(c.trust, keys); !s) return fail("bundle verify", s.message());
  std::string bytes;
  if (Status s = read_bundle_file(c.bundle, bytes); !s) return fail("bundle verify", s.message());
  bundle::VerifiedBundle v;
  if (Status s = bundle::verify_bundle(bytes, keys, v); !s) return fail("bundle verify", c.bundle + ": " + s.message());
  std::printf("ok: %s: %zu files, sequence %llu, digest %s, signed by key %s (%s)\n", c.bundle.c_str(), v.files.size(),
              static_cast<unsigned long long>(v.sequence), v.digest.c_str(), v.signer_key_id.c_str(),
              v.signer_source.c_str());
  return 0;
}

int run_inspect(const BundleCommand& c) {
  std::string bytes;
  if (Status s = read_bundle_file(c.bundle, bytes); !s) return fail("bundle inspect", s.message());
  bundle::BundleSummary b;
  if (Status s = bundle::inspect_bundle(bytes, b); !s) return fail("bundle inspect", c.bundle + ": " + s.message());
  std::printf("bundle:    %s (signature NOT checked; use 'postern bundle verify')\n", c.bundle.c_str());
  std::printf("digest:    %s\n", b.digest.c_str());
  if (!b.is_signed) std::printf("signature: none (unsigned)\n");
  else if (!b.signature_status) std::printf("signature: malformed: %s\n", b.signature_status.message().c_str());
  else std::printf("signature: %s by key %s\n", b.signature.alg.c_str(), b.signature.key_id.c_str());
  if (!b.manifest_status) return fail("bundle inspect", c.bundle + ": " + b.manifest_status.message());
  std::printf("sequence:  %llu\n", static_cast<unsigned long long>(b.manifest.sequence));
  std::printf("version:   %s\n", b.manifest.postern_version.c_str());
  std::printf("files:     %zu\n", b.manifest.files.size());
  for (const auto& f : b.manifest.files) {
    std::printf("  %s %10llu %s\n", f.sha256.c_str(), static_cast<unsigned long long>(f.size), f.path.c_str());
  }
  return 0;
}

}  // namespace

void add_bundle_command(CLI::App& app, BundleCommand& c) {
  c.root = app.add_subcommand("bundle", "Signed immutable project bundles (docs/deployment.md)");
  c.root->require_subcommand(1);
  c.build = c.root->add_subcommand("build", "Pack a project into one signed, reproducible file");
  c.build->add_option("project", c.project, "Project folder")->required();
  c.build->add_option("-o,--output", c.output, "Bundle file to write")->required();
  c.build->add_option("--sign", c.sign_key, "PEM private key: Ed25519 or EC P-256")->required();
  c.build->add_option("--sequence", c.sequence, "Sequence number, 0..2^63-1 (default: now, in seconds)")
      ->check(CLI::NonNegativeNumber);
  c.verify = c.root->add_subcommand("verify", "Check a bundle's signature and every file");
  c.verify->add_option("bundle", c.bundle, "Bundle file")->required();
  c.verify->add_option("--trust", c.trust, "PEM public key or certificate to trust (repeatable)")->required();
  c.inspect = c.root->add_subcommand("inspect", "Show a bundle's manifest and signer without trusting it");
  c.inspect->add_option("bundle", c.bundle, "Bundle file")->required();
}

int run_bundle_command(const BundleCommand& c) {
  if (*c.build) return run_build(c);
  if (*c.verify) return run_verify(c);
  return run_inspect(c);
}

}  // namespace postern::cli
