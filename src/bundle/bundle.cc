#include "bundle/bundle.h"

#include "bundle/limits.h"
#include "bundle/sha256.h"
#include "bundle/tar_archive.h"

namespace postern::bundle {

namespace {

std::vector<TarEntry> entries_of(std::string manifest, std::string signature, const std::vector<BundleFile>& files) {
  std::vector<TarEntry> entries;
  entries.reserve(files.size() + 2);
  entries.push_back({std::string(kManifestName), std::move(manifest)});
  entries.push_back({std::string(kSignatureName), std::move(signature)});
  for (const BundleFile& f : files) entries.push_back({std::string(kProjectPrefix) + f.path, f.bytes});
  return entries;
}

// The archive's shape before the signature is checked: enough to find MANIFEST and
// SIGNATURE, and to say "not signed" rather than "bad signature" when it is not.
Status read_entries(std::string_view bytes, std::vector<TarEntry>& entries) {
  if (bytes.size() > kMaxBundleBytes) {
    return Status::error("the bundle is larger than " + std::to_string(kMaxBundleBytes) + " bytes");
  }
  if (Status s = read_tar(bytes, kMaxFiles + 2, kMaxFileBytes, entries); !s) {
    return Status::error("not a valid bundle archive: " + s.message());
  }
  if (entries.empty() || entries[0].name != kManifestName) {
    return Status::error("not a Postern bundle (its first entry must be MANIFEST)");
  }
  if (entries[0].bytes.size() > kMaxManifestBytes) return Status::error("MANIFEST is larger than the limit");
  return {};
}

Status check_files(const Manifest& m, const std::vector<TarEntry>& entries, std::vector<BundleFile>& files) {
  size_t i = 0;
  for (; i < m.files.size(); ++i) {
    const ManifestEntry& want = m.files[i];
    std::string name = std::string(kProjectPrefix) + want.path;
    if (i + 2 >= entries.size() || entries[i + 2].name != name) {
      return Status::error("file '" + want.path + "' listed in the manifest is missing or out of place");
    }
    const std::string& bytes = entries[i + 2].bytes;
    if (bytes.size() != want.size || sha256_hex(bytes) != want.sha256) {
      return Status::error("file '" + want.path + "' does not match its SHA-256 in the manifest");
    }
    files.push_back({want.path, bytes});
  }
  if (i + 2 < entries.size()) {
    return Status::error("entry '" + entries[i + 2].name + "' is not listed in the manifest");
  }
  return {};
}

}  // namespace

std::string_view postern_version() { return POSTERN_VERSION; }

Status build_bundle(const std::vector<BundleFile>& files, uint64_t sequence, const BundleKey& key, std::string& out) {
  Manifest m;
  m.postern_version = std::string(postern_version());
  m.sequence = sequence;
  for (const BundleFile& f : files) m.files.push_back({f.path, f.bytes.size(), sha256_hex(f.bytes)});
  std::string text = render_manifest(m);
  Manifest check;  // the writer holds itself to the reader's rules
  if (Status s = parse_manifest(text, check); !s) return s;
  std::string signature;
  if (Status s = sign_manifest(key, text, signature); !s) return s;
  if (Status s = write_tar(entries_of(std::move(text), std::move(signature), files), out); !s) return s;
  if (out.size() > kMaxBundleBytes) return Status::error("the bundle would be larger than the limit");
  return {};
}

Status verify_bundle(std::string_view bytes, const std::vector<BundleKey>& trusted, VerifiedBundle& out) {
  std::vector<TarEntry> entries;
  if (Status s = read_entries(bytes, entries); !s) return s;
  if (entries.size() < 2 || entries[1].name != kSignatureName) return Status::error("the bundle is not signed");
  const BundleKey* signer = nullptr;
  if (Status s = check_signature(entries[1].bytes, entries[0].bytes, trusted, signer); !s) return s;
  Manifest m;
  if (Status s = parse_manifest(entries[0].bytes, m); !s) return s;
  VerifiedBundle v;
  if (Status s = check_files(m, entries, v.files); !s) return s;
  std::string canonical;
  if (Status s = write_tar(entries, canonical); !s) return s;
  if (canonical != bytes) {
    return Status::error("the archive differs from its canonical form outside the signed files (modified)");
  }
  v.sequence = m.sequence;
  v.postern_version = m.postern_version;
  v.digest = sha256_hex(entries[0].bytes);
  v.signer_key_id = signer->id;
  v.signer_source = signer->source;
  out = std::move(v);
  return {};
}

Status inspect_bundle(std::string_view bytes, BundleSummary& out) {
  out = BundleSummary{};
  std::vector<TarEntry> entries;
  if (Status s = read_entries(bytes, entries); !s) return s;
  out.manifest_text = entries[0].bytes;
  out.digest = sha256_hex(out.manifest_text);
  out.manifest_status = parse_manifest(out.manifest_text, out.manifest);
  if (entries.size() >= 2 && entries[1].name == kSignatureName) {
    out.is_signed = true;
    out.signature_status = parse_signature(entries[1].bytes, out.signature);
  }
  return {};
}

}  // namespace postern::bundle
