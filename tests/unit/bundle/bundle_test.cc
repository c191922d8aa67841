// The bundle format without sockets or the CLI: manifest and signature parsing, the path
// and secret rules, build/verify/extract, and every tamper case verify_bundle must refuse.
#include <gtest/gtest.h>

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bundle/beside_secrets.h"
#include "bundle/bundle.h"
#include "bundle/path_rules.h"
#include "bundle/project_files.h"
#include "bundle/sha256.h"
#include "bundle/tar_archive.h"
#include "bundle_keys.h"

namespace postern::bundle {
namespace {

namespace fs = std::filesystem;

std::vector<BundleFile> project() {
  return {{"apis/pets.yaml", "openapi: 3.0.3\ninfo: {title: Pets, version: 1.0.0}\npaths: {}\n"},
          {"certs/issuer.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
          {"postern.yaml", "listeners:\n  - {address: \"127.0.0.1:0\"}\n"}};
}

std::string build(const KeyPair& kp, uint64_t sequence = 7, std::vector<BundleFile> files = project()) {
  std::string out;
  Status s = build_bundle(files, sequence, kp.signer, out);
  EXPECT_TRUE(s.ok()) << s.message();
  return out;
}

std::vector<TarEntry> entries_of(const std::string& bytes) {
  std::vector<TarEntry> entries;
  EXPECT_TRUE(read_tar(bytes, 100, 1 << 20, entries).ok());
  return entries;
}

std::string rewrite(const std::vector<TarEntry>& entries) {
  std::string out;
  EXPECT_TRUE(write_tar(entries, out).ok());
  return out;
}

// verify_bundle's message, or "ok".
std::string verify_message(const std::string& bytes, const std::vector<BundleKey>& trusted) {
  VerifiedBundle v;
  Status s = verify_bundle(bytes, trusted, v);
  return s ? "ok" : s.message();
}

TEST(BundlePaths, AcceptsPlainRelativePaths) {
  for (const char* p : {"postern.yaml", "apis/pets.yaml", "a/b/c-1_2+x@y=z,w.json"}) {
    EXPECT_TRUE(check_bundle_path(p).ok()) << p;
  }
}

TEST(BundlePaths, RefusesTraversalAbsoluteAndOddNames) {
  for (const char* p : {"", "/etc/passwd", "../x", "a/../b", "a/./b", "a//b", "a/", "a\\b", "a b", "-rf", "a/\x01",
                        "caf\xc3\xa9", "a/.."}) {
    EXPECT_FALSE(check_bundle_path(p).ok()) << p;
  }
  EXPECT_FALSE(check_bundle_path(std::string(241, 'a')).ok());
}

TEST(BundleManifest, RoundTripsCanonically) {
  Manifest m{1, "0.1.0", 42, {{"a.yaml", 3, sha256_hex("abc")}, {"b/c.json", 0, sha256_hex("")}}};
  std::string text = render_manifest(m);
  EXPECT_EQ(text.substr(0, 47), "postern-bundle 1\npostern-version 0.1.0\nsequence");
  Manifest back;
  ASSERT_TRUE(parse_manifest(text, back).ok());
  EXPECT_EQ(back, m);
  EXPECT_EQ(render_manifest(back), text);
}

TEST(BundleManifest, RefusesEverythingNotCanonical) {
  std::string h = sha256_hex("x");
  std::string head = "postern-bundle 1\npostern-version 0.1.0\nsequence 5\n";
  const std::vector<std::string> bad = {
      "postern-bundle 2\npostern-version 0.1.0\nsequence 5\n",                    // another format
      "postern-bundle 1\npostern-version 0.1.0\nsequence 05\n",                   // leading zero
      "postern-bundle 1\npostern-version 0.1.0\nsequence 9223372036854775808\n",  // > int64
      "postern-bundle 1\r\npostern-version 0.1.0\nsequence 5\n",                  // CRLF
      head.substr(0, head.size() - 1),                                            // no final LF
      head + "file " + h + " 1 b\nfile " + h + " 1 a\n",                          // unsorted
      head + "file " + h + " 1 a\nfile " + h + " 1 a\n",                          // duplicate
      head + "file " + h + " 1 ../etc/passwd\n",                                  // traversal
      head + "file " + h + " 1 /etc/passwd\n",                                    // absolute
      head + "file " + sha256_hex("x").substr(0, 63) + "A 1 a\n",                 // upper-case hex
      head + "file " + h + " 01 a\n",                                             // leading zero size
      head + "file " + h + " 99999999999 a\n",                                    // over the file limit
      head + "\n",                                                                // empty line
      head + "extra line\n",
  };
  for (const std::string& text : bad) {
    Manifest m;
    EXPECT_FALSE(parse_manifest(text, m).ok()) << text;
  }
}

TEST(BundleSecrets, RefusesPrivateKeysAndSecretNamesWithThePath) {
  Status s = check_not_secret("certs/server.pem",
                              "-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("certs/server.pem"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("private key"), std::string::npos) << s.message();
  EXPECT_FALSE(check_not_secret("x.pem", "-----BEGIN ENCRYPTED PRIVATE KEY-----").ok());
  EXPECT_FALSE(check_not_secret("id", "-----BEGIN OPENSSH PRIVATE KEY-----").ok());
  EXPECT_FALSE(check_not_secret("certs/server.key", "anything").ok());
  EXPECT_FALSE(check_not_secret("ks.P12", "").ok());
  EXPECT_FALSE(check_not_secret("hmac.secret", "0123").ok());
  EXPECT_FALSE(check_not_secret("admin-TOKEN.txt", "0123").ok());
  EXPECT_TRUE(check_not_secret("apis/token-api.yaml", "openapi: 3.0.3").ok());
  EXPECT_TRUE(check_not_secret("certs/ca.pem", "-----BEGIN CERTIFICATE-----").ok());
  EXPECT_TRUE(check_not_secret("keys/signer.pub", "-----BEGIN PUBLIC KEY-----").ok());
}

TEST(BundleKeys, OnlyEd25519AndP256AndTrustTakesPublicKeysOnly) {
  BundleKey k;
  std::string ed = new_private_pem("ED25519");
  EXPECT_TRUE(bundle_key_from_pem(ed, true, k).ok());
  EXPECT_EQ(k.alg, jose::Alg::kEdDSA);
  EXPECT_EQ(k.id.size(), 64u);
  Status s = bundle_key_from_pem(ed, false, k);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("private key"), std::string::npos);
  EXPECT_FALSE(bundle_key_from_pem(public_pem_of(ed), true, k).ok());
  EVP_PKEY* p384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, p384);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  EXPECT_FALSE(bundle_key_from_pem(std::string(data, static_cast<size_t>(len)), false, k).ok());
  BIO_free(bio);
  EVP_PKEY_free(p384);
}

TEST(BundleBuild, Ed25519BundlesAreByteForByteReproducible) {
  KeyPair kp = key_pair("ED25519");
  std::string a = build(kp), b = build(kp);
  EXPECT_EQ(a, b);
  EXPECT_NE(build(kp, 8), a);  // the sequence is in the signed manifest
}

TEST(BundleBuild, EcdsaBundlesHaveTheSameManifestAndBothVerify) {
  KeyPair kp = key_pair("EC");
  std::string a = build(kp), b = build(kp);
  auto ea = entries_of(a), eb = entries_of(b);
  ASSERT_GE(ea.size(), 2u);
  ASSERT_GE(eb.size(), 2u);
  EXPECT_EQ(ea[0].bytes, eb[0].bytes);  // MANIFEST
  VerifiedBundle va, vb;
  ASSERT_TRUE(verify_bundle(a, kp.trusted, va).ok());
  ASSERT_TRUE(verify_bundle(b, kp.trusted, vb).ok());
  EXPECT_EQ(va.digest, vb.digest);
}

TEST(BundleVerify, GivesTheFilesSequenceDigestAndSigner) {
  KeyPair kp = key_pair("ED25519");
  std::string bytes = build(kp, 1234);
  VerifiedBundle v;
  Status s = verify_bundle(bytes, kp.trusted, v);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(v.sequence, 1234u);
  EXPECT_EQ(v.postern_version, postern_version());
  EXPECT_EQ(v.digest, sha256_hex(entries_of(bytes)[0].bytes));
  EXPECT_EQ(v.signer_key_id, kp.signer.id);
  ASSERT_EQ(v.files.size(), 3u);
  EXPECT_EQ(v.files[0].path, "apis/pets.yaml");
  EXPECT_EQ(v.files[2].bytes, project()[2].bytes);
  // The archive is a plain tar: MANIFEST, SIGNATURE, project/...
  auto entries = entries_of(bytes);
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[1].name, "SIGNATURE");
  EXPECT_EQ(entries[4].name, "project/postern.yaml");
}

TEST(BundleVerify, RefusesOneChangedByteInAFile) {
  KeyPair kp = key_pair("ED25519");
  std::string bytes = build(kp);
  size_t at = bytes.find("listeners:");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 'L';
  EXPECT_EQ(verify_message(bytes, kp.trusted), "file 'postern.yaml' does not match its SHA-256 in the manifest");
}

TEST(BundleVerify, RefusesOneChangedByteInTheManifest) {
  KeyPair kp = key_pair("ED25519");
  std::string bytes = build(kp, 7);
  size_t at = bytes.find("sequence 7\n");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 9] = '8';
  EXPECT_EQ(verify_message(bytes, kp.trusted),
            "the signature does not match the manifest (the bundle was changed after it was signed)");
}

TEST(BundleVerify, RefusesOneChangedByteInTheSignature) {
  KeyPair kp = key_pair("EC");
  std::string bytes = build(kp);
  size_t at = bytes.find("\nsignature ");
  ASSERT_NE(at, std::string::npos);
  char& c = bytes[at + 11 + 10];
  c = c == 'A' ? 'B' : 'A';
  EXPECT_EQ(verify_message(bytes, kp.trusted),
            "the signature does not match the manifest (the bundle was changed after it was signed)");
}

TEST(BundleVerify, RefusesABundleSignedByAnotherKey) {
  KeyPair kp = key_pair("ED25519"), other = key_pair("ED25519");
  std::string msg = verify_message(build(other), kp.trusted);
  EXPECT_NE(msg.find("signed by key " + other.signer.id.substr(0, 16) + ", which is not trusted"), std::string::npos)
      << msg;
}

TEST(BundleVerify, RefusesAnUnsignedBundle) {
  KeyPair kp = key_pair("ED25519");
  auto entries = entries_of(build(kp));
  entries.erase(entries.begin() + 1);
  EXPECT_EQ(verify_message(rewrite(entries), kp.trusted), "the bundle is not signed");
}

TEST(BundleVerify, RefusesSwappedExtraAndMissingFiles) {
  KeyPair kp = key_pair("ED25519");
  auto entries = entries_of(build(kp));
  auto swapped = entries;
  std::swap(swapped[2].bytes, swapped[3].bytes);
  EXPECT_EQ(verify_message(rewrite(swapped), kp.trusted),
            "file 'apis/pets.yaml' does not match its SHA-256 in the manifest");
  auto extra = entries;
  extra.push_back({"project/zz.yaml", "x"});
  EXPECT_EQ(verify_message(rewrite(extra), kp.trusted), "entry 'project/zz.yaml' is not listed in the manifest");
  auto missing = entries;
  missing.erase(missing.begin() + 3);
  EXPECT_EQ(verify_message(rewrite(missing), kp.trusted),
            "file 'certs/issuer.pem' listed in the manifest is missing or out of place");
}

TEST(BundleVerify, RefusesASignedManifestThatNamesAPathOutsideTheFolder) {
  KeyPair kp = key_pair("ED25519");
  std::string manifest = "postern-bundle 1\npostern-version 0.1.0\nsequence 1\nfile " + sha256_hex("x") +
                         " 1 ../evil\n";
  std::string signature;
  ASSERT_TRUE(sign_manifest(kp.signer, manifest, signature).ok());
  std::string bytes = rewrite({{"MANIFEST", manifest}, {"SIGNATURE", signature}, {"project/../evil", "x"}});
  std::string msg = verify_message(bytes, kp.trusted);
  EXPECT_NE(msg.find("MANIFEST line 4: path '../evil'"), std::string::npos) << msg;
}

TEST(BundleVerify, RefusesAnyByteChangedOutsideTheFiles) {
  KeyPair kp = key_pair("ED25519");
  std::string bytes = build(kp);
  std::string padded = bytes;
  padded[entries_of(bytes)[0].bytes.size() + 512 + 3] = 'x';  // MANIFEST's zero padding
  EXPECT_EQ(verify_message(padded, kp.trusted),
            "the archive differs from its canonical form outside the signed files (modified)");
  EXPECT_EQ(verify_message(bytes + std::string(512, '\0'), kp.trusted),
            "the archive differs from its canonical form outside the signed files (modified)");
  std::string mtime = bytes;
  mtime[136] = '1';  // the first header's mtime field (its checksum then fails in libarchive)
  EXPECT_NE(verify_message(mtime, kp.trusted), "ok");
}

// A tar entry libarchive writes with a link or a non-regular type.
std::string tar_with(unsigned type, const char* name) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_ustar(a);
  archive_write_open(
      a, &out, nullptr,
      [](archive*, void* c, const void* b, size_t n) -> la_ssize_t {
        static_cast<std::string*>(c)->append(static_cast<const char*>(b), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name);
  archive_entry_set_filetype(e, type);
  if (type == AE_IFLNK) archive_entry_set_symlink(e, "/etc/passwd");
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, 0);
  archive_write_header(a, e);
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

TEST(BundleVerify, RefusesLinksDirectoriesDevicesAndNonTar) {
  KeyPair kp = key_pair("ED25519");
  EXPECT_NE(verify_message(tar_with(AE_IFLNK, "MANIFEST"), kp.trusted).find("is not a regular file"),
            std::string::npos);
  EXPECT_NE(verify_message(tar_with(AE_IFDIR, "project/"), kp.trusted).find("is not a regular file"),
            std::string::npos);
  EXPECT_NE(verify_message(tar_with(AE_IFCHR, "MANIFEST"), kp.trusted).find("is not a regular file"),
            std::string::npos);
  EXPECT_NE(verify_message("garbage", kp.trusted).find("not a valid bundle archive"), std::string::npos);
  EXPECT_NE(verify_message("", kp.trusted), "ok");
}

struct TempFolder {
  fs::path path = fs::temp_directory_path() / ("bundle-unit-" + std::to_string(::getpid()) + "-" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempFolder() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempFolder() { fs::remove_all(path); }
};

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

TEST(BundleProject, CollectsSortedFilesSkipsDotFilesAndRefusesKeys) {
  TempFolder t;
  write_text(t.path / "p/postern.yaml", "x");
  write_text(t.path / "p/apis/b.yaml", "b");
  write_text(t.path / "p/apis/a.yaml", "a");
  write_text(t.path / "p/.git/config", "secret");
  write_text(t.path / "p/.env", "TOKEN=1");
  std::vector<BundleFile> files;
  ASSERT_TRUE(collect_project_files(t.path / "p", files).ok());
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].path, "apis/a.yaml");
  EXPECT_EQ(files[1].path, "apis/b.yaml");
  EXPECT_EQ(files[2].path, "postern.yaml");
  write_text(t.path / "p/certs/server.pem", "-----BEGIN PRIVATE KEY-----\n");
  Status s = collect_project_files(t.path / "p", files);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("certs/server.pem: holds a PEM private key"), std::string::npos) << s.message();
  fs::remove(t.path / "p/certs/server.pem");
  fs::create_symlink("/etc/hostname", t.path / "p/apis/link.yaml");
  s = collect_project_files(t.path / "p", files);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("apis/link.yaml: is a symlink"), std::string::npos) << s.message();
}

TEST(BundleExtract, WritesTheFilesIntoAFreshFolderOnlyAndLinksSecretsBeside) {
  TempFolder t;
  KeyPair kp = key_pair("ED25519");
  VerifiedBundle v;
  ASSERT_TRUE(verify_bundle(build(kp), kp.trusted, v).ok());
  fs::path dir = t.path / "x";
  ASSERT_TRUE(extract_bundle(v, dir).ok());
  std::ifstream in(dir / "apis/pets.yaml");
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "openapi: 3.0.3");
  EXPECT_FALSE(extract_bundle(v, dir).ok());  // never into an existing folder
  // Beside the bundle: a key (linked), an API document (not linked), a file the bundle has.
  write_text(t.path / "beside/certs/server.key", "-----BEGIN PRIVATE KEY-----\n");
  write_text(t.path / "beside/apis/extra.yaml", "openapi: 3.0.3\n");
  write_text(t.path / "beside/postern.yaml", "-----BEGIN PRIVATE KEY-----\n");
  write_text(t.path / "beside/other/admin.token", "tok");  // a folder the bundle does not have
  std::vector<std::string> linked;
  ASSERT_TRUE(link_beside_secrets(dir, t.path / "beside", linked).ok());
  EXPECT_EQ(linked, std::vector<std::string>{"certs/server.key"});
  EXPECT_TRUE(fs::is_symlink(dir / "certs/server.key"));
  EXPECT_FALSE(fs::exists(dir / "apis/extra.yaml"));
  EXPECT_FALSE(fs::is_symlink(dir / "postern.yaml"));
}

}  // namespace
}  // namespace postern::bundle
