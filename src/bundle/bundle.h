#pragma once
// Signed immutable bundles (docs/deployment.md "Bundles"): the library API the CLI uses and
// a control plane can use the same way (fetch bytes, verify, extract, load).
//
//   api.bundle = ustar archive of
//     MANIFEST               postern-bundle 1 / postern-version / sequence / file lines
//     SIGNATURE              over the exact MANIFEST bytes (Ed25519 or ECDSA P-256)
//     project/<path> ...     every file the manifest lists, in its order
//
// A bundle's digest is the SHA-256 of its MANIFEST: it names the content (every file's
// hash, the sequence and the version) whatever the signature, so two builds of the same
// project and sequence have the same digest even with ECDSA's randomised signatures.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bundle/bundle_file.h"
#include "bundle/manifest.h"
#include "bundle/signature.h"
#include "bundle/signing_key.h"
#include "core/status.h"

namespace postern::bundle {

// The Postern version written into manifests (the CMake project version).
std::string_view postern_version();

// Builds a signed bundle of `files` (sorted by path, unique; collect_project_files gives
// them so). Same files and sequence: same MANIFEST and archive bytes (and, with Ed25519,
// the same signature, hence the same file).
Status build_bundle(const std::vector<BundleFile>& files, uint64_t sequence, const BundleKey& key, std::string& out);

struct VerifiedBundle {
  uint64_t sequence = 0;
  std::string postern_version;
  std::string digest;             // sha256 hex of MANIFEST
  std::string signer_key_id;      // sha256 hex of the signer's public key
  std::string signer_source;      // the trusted key's file
  std::vector<BundleFile> files;  // manifest order; every hash checked
};

// Everything a bundle must be before any of it is used: within the limits, a tar of
// regular files only, MANIFEST then SIGNATURE then the project files; the signature made
// by one of `trusted` over MANIFEST; MANIFEST well formed; the files exactly those it lists
// (same names, order, sizes, SHA-256); and the archive byte for byte the one build_bundle
// writes for those entries (so no byte of the file goes unchecked). The first failure is
// returned; `out` is filled only on success.
Status verify_bundle(std::string_view bytes, const std::vector<BundleKey>& trusted, VerifiedBundle& out);

// Reads a bundle file into `bytes`, refusing one larger than kMaxBundleBytes before
// reading it.
Status read_bundle_file(const std::filesystem::path& file, std::string& bytes);

// What `postern bundle inspect` shows, read without trusting anything: the manifest as
// text (and parsed when it parses), and the signature's alg and key id when there is one.
struct BundleSummary {
  std::string digest;
  std::string manifest_text;
  Manifest manifest;
  Status manifest_status;  // parse_manifest's result
  bool is_signed = false;
  SignatureBlock signature;
  Status signature_status;  // parse_signature's result when signed
};
Status inspect_bundle(std::string_view bytes, BundleSummary& out);

// Writes a verified bundle's files under `dir`, which must not exist yet (it is created
// 0700; files 0644, folders 0755, never following a symlink). Paths were checked by
// verify_bundle, so nothing lands outside `dir`.
Status extract_bundle(const VerifiedBundle& bundle, const std::filesystem::path& dir);

}  // namespace postern::bundle
