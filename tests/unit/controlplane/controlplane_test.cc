// The control-plane client's pieces without sockets: judging fetched bundles (rollback
// protection, tamper, foreign keys, 304s, ETags), the local file's diagnostics, the last
// good bundle on disk, and the folders bundles are served from.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "bundle_keys.h"
#include "controlplane/bundle_feed.h"
#include "controlplane/cp_config.h"
#include "controlplane/extracted_bundles.h"
#include "controlplane/last_good_bundle.h"

namespace postern::controlplane {
namespace {

namespace fs = std::filesystem;

std::string build(const bundle::KeyPair& kp, uint64_t sequence, const std::string& marker = "a") {
  std::vector<bundle::BundleFile> files = {{"apis/pets.yaml", "openapi: 3.0.3\n# " + marker + "\n"},
                                           {"postern.yaml", "listeners: []\n"}};
  std::string out;
  Status s = bundle::build_bundle(files, sequence, kp.signer, out);
  EXPECT_TRUE(s.ok()) << s.message();
  return out;
}

upstream::HttpGetResult ok_body(std::string body, std::string etag = "\"e1\"") {
  upstream::HttpGetResult r;
  r.ok = true;
  r.status = 200;
  r.body = std::move(body);
  r.etag = std::move(etag);
  return r;
}

class Feed : public ::testing::Test {
 protected:
  bundle::KeyPair kp = bundle::key_pair("ED25519");
  BundleFeed feed{kp.trusted};
  bundle::VerifiedBundle candidate;

  void activate(uint64_t sequence, const std::string& marker = "a") {
    ASSERT_EQ(feed.judge(ok_body(build(kp, sequence, marker), "\"act\""), candidate), BundleFeed::Outcome::kNewer);
    feed.applied(candidate);
  }
};

TEST_F(Feed, TheFirstVerifiedBundleIsNewerWhateverItsSequence) {
  EXPECT_FALSE(feed.has_active());
  EXPECT_EQ(feed.judge(ok_body(build(kp, 0)), candidate), BundleFeed::Outcome::kNewer);
  EXPECT_EQ(candidate.sequence, 0u);
  EXPECT_EQ(feed.etag(), "\"e1\"");
}

TEST_F(Feed, OnlyAHigherSequenceIsNewer) {
  activate(5);
  EXPECT_EQ(feed.judge(ok_body(build(kp, 6, "b")), candidate), BundleFeed::Outcome::kNewer);
  EXPECT_EQ(candidate.sequence, 6u);
  EXPECT_EQ(feed.judge(ok_body(build(kp, 4, "b")), candidate), BundleFeed::Outcome::kRefused);
  EXPECT_EQ(feed.last_error(), "sequence 4 is not above the active bundle's 5 (rollback protection)");
  EXPECT_EQ(feed.judge(ok_body(build(kp, 5, "b")), candidate), BundleFeed::Outcome::kRefused);
  EXPECT_EQ(feed.last_error(),
            "sequence 5 is not above the active bundle's 5 and its content differs (rollback "
            "protection)");
  EXPECT_EQ(feed.judge(ok_body(build(kp, 5, "a")), candidate), BundleFeed::Outcome::kUnchanged);
  EXPECT_EQ(feed.counts().refused, 2u);
  EXPECT_EQ(feed.counts().unchanged, 1u);
  EXPECT_EQ(feed.counts().applied, 1u);
  EXPECT_EQ(feed.active_sequence(), 5u);
}

TEST_F(Feed, TamperedAndForeignBundlesAreRefusedAndTheirEtagRemembered) {
  activate(1);
  std::string bytes = build(kp, 2, "b");
  bytes[bytes.find("# b")] = '%';
  EXPECT_EQ(feed.judge(ok_body(bytes, "\"t\""), candidate), BundleFeed::Outcome::kRefused);
  EXPECT_NE(feed.last_error().find("does not match its SHA-256 in the manifest"), std::string::npos)
      << feed.last_error();
  EXPECT_EQ(feed.etag(), "\"t\"") << "the same bytes must not be fetched again";
  bundle::KeyPair other = bundle::key_pair("ED25519");
  EXPECT_EQ(feed.judge(ok_body(build(other, 3)), candidate), BundleFeed::Outcome::kRefused);
  EXPECT_NE(feed.last_error().find("which is not trusted"), std::string::npos) << feed.last_error();
  EXPECT_EQ(feed.active_sequence(), 1u);
}

TEST_F(Feed, NotModifiedAndFailuresKeepEverything) {
  activate(3);
  upstream::HttpGetResult not_modified;
  not_modified.ok = true;
  not_modified.not_modified = true;
  not_modified.status = 304;
  EXPECT_EQ(feed.judge(not_modified, candidate), BundleFeed::Outcome::kNotModified);
  upstream::HttpGetResult failed;
  failed.error = "HTTP status 503";
  EXPECT_EQ(feed.judge(failed, candidate), BundleFeed::Outcome::kFailed);
  EXPECT_EQ(feed.last_error(), "HTTP status 503");
  EXPECT_EQ(feed.etag(), "\"act\"");
  EXPECT_EQ(feed.counts().not_modified, 1u);
  EXPECT_EQ(feed.counts().failed, 1u);
  EXPECT_EQ(feed.active_sequence(), 3u);
}

TEST_F(Feed, ABundleTheServerCouldNotLoadCountsAsRefused) {
  activate(1);
  ASSERT_EQ(feed.judge(ok_body(build(kp, 2, "b"), "\"2\""), candidate), BundleFeed::Outcome::kNewer);
  feed.refused("its project does not load");
  EXPECT_EQ(feed.counts().refused, 1u);
  EXPECT_EQ(feed.active_sequence(), 1u);
  EXPECT_EQ(feed.etag(), "\"2\"");
}

class Files : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cp-unit-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
  }
  void TearDown() override { fs::remove_all(dir); }
  void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
  }
  std::vector<std::string> load_errors(const std::string& yaml, ControlPlaneConfig& cfg) {
    write(dir / "gw.yaml", yaml);
    std::vector<config::Diagnostic> errors;
    bool ok = load_control_plane_config(dir / "gw.yaml", cfg, errors);
    std::vector<std::string> out;
    for (const auto& d : errors) out.push_back(d.format().substr((dir / "gw.yaml").string().size()));
    EXPECT_EQ(ok, out.empty());
    return out;
  }
  fs::path dir;
};

TEST_F(Files, AControlPlaneFileResolvesPathsBesideIt) {
  write(dir / "keys/cp.pub", "x");
  write(dir / "ca.pem", "x");
  ::setenv("CP_UNIT_TOKEN", "s3cret", 1);
  ControlPlaneConfig cfg;
  auto errors = load_errors(
      "control_plane:\n  url: https://cp.example.com/a.bundle\n  trust: keys/cp.pub\n  poll: 2s\n  timeout: 5s\n"
      "  ca_file: ca.pem\n  token_env: CP_UNIT_TOKEN\n  state_dir: state\n",
      cfg);
  ASSERT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(cfg.url, "https://cp.example.com/a.bundle");
  ASSERT_EQ(cfg.trust.size(), 1u);
  EXPECT_EQ(cfg.trust[0], dir / "keys/cp.pub");
  EXPECT_EQ(cfg.poll, std::chrono::milliseconds(2000));
  EXPECT_EQ(cfg.timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(cfg.ca_file, dir / "ca.pem");
  EXPECT_EQ(cfg.token, "s3cret");
  EXPECT_EQ(cfg.state_dir, dir / "state");
  EXPECT_EQ(cfg.secrets_dir, dir);
}

TEST_F(Files, EveryMistakeIsNamedWithItsPlace) {
  ::unsetenv("CP_UNIT_UNSET");
  ControlPlaneConfig cfg;
  auto errors = load_errors(
      "control_plane:\n  url: http://cp.example.com/a.bundle\n  trust: []\n  poll: 10ms\n  token_env: CP_UNIT_UNSET\n"
      "  stat_dir: x\n",
      cfg);
  ASSERT_EQ(errors.size(), 4u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0].substr(0, 40), ":6:3: unknown key 'stat_dir' in control_");
  EXPECT_EQ(errors[1],
            ":3:10: 'control_plane.trust' must name the PEM public key(s) bundles are signed with, e.g. "
            "[keys/publisher.pub]");
  EXPECT_EQ(errors[2], ":4:9: 'control_plane.poll' must be at least 100ms (e.g. \"30s\")");
  EXPECT_EQ(errors[3], ":5:14: environment variable 'CP_UNIT_UNSET' (the control plane's bearer token) is not set");
}

TEST_F(Files, UrlAndTrustAreRequired) {
  ControlPlaneConfig cfg;
  auto errors = load_errors("control_plane:\n  poll: 1s\n", cfg);
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0], ":1:1: 'control_plane' needs 'url'");
  EXPECT_EQ(errors[1], ":1:1: 'control_plane' needs 'trust'");
  errors = load_errors("listeners: []\n", cfg);
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0], ":1:1: unknown key 'listeners' in the control-plane file");
  EXPECT_EQ(errors[1],
            ": a control-plane file holds one 'control_plane:' map (url, trust, poll, ...); a project is "
            "a folder");
}

TEST_F(Files, ATokenIsNeverSentInTheClear) {
  write(dir / "cp.pub", "x");
  ::setenv("CP_UNIT_TOKEN", "s3cret", 1);
  ControlPlaneConfig cfg;
  auto errors = load_errors(
      "control_plane:\n  url: http://cp.example.com/a.bundle\n  trust: cp.pub\n  token_env: CP_UNIT_TOKEN\n", cfg);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], ":4:14: a bearer token is sent only over https://; make 'control_plane.url' an https:// URL");
}

TEST_F(Files, TheLastGoodBundleIsReplacedWholeAndVerifiedWhenRead) {
  bundle::KeyPair kp = bundle::key_pair("ED25519");
  LastGoodBundle kept(dir / "state");
  EXPECT_FALSE(kept.exists());
  ASSERT_TRUE(kept.save(build(kp, 1)).ok());
  ASSERT_TRUE(kept.save(build(kp, 2)).ok());
  EXPECT_EQ(fs::status(dir / "state").permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_FALSE(fs::exists(dir / "state/active.bundle.tmp"));
  bundle::VerifiedBundle b;
  ASSERT_TRUE(kept.load(kp.trusted, b).ok());
  EXPECT_EQ(b.sequence, 2u);
  // Signed by a key no longer trusted: not used.
  bundle::KeyPair other = bundle::key_pair("ED25519");
  Status s = kept.load(other.trusted, b);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("active.bundle: "), std::string::npos) << s.message();
}

TEST_F(Files, ExtractedFoldersKeepTheActiveAndThePreviousOne) {
  bundle::KeyPair kp = bundle::key_pair("ED25519");
  ::setenv("TMPDIR", dir.c_str(), 1);
  fs::path first, second, third;
  {
    ExtractedBundles folders;
    ASSERT_TRUE(folders.open().ok());
    std::vector<fs::path*> projects = {&first, &second, &third};
    for (uint64_t seq = 1; seq <= 3; ++seq) {
      bundle::VerifiedBundle b;
      ASSERT_TRUE(bundle::verify_bundle(build(kp, seq, std::to_string(seq)), kp.trusted, b).ok());
      std::vector<std::string> linked;
      ASSERT_TRUE(folders.extract(b, dir / "secrets", *projects[seq - 1], linked).ok());
      EXPECT_TRUE(fs::is_regular_file(*projects[seq - 1] / "postern.yaml"));
      folders.in_force(*projects[seq - 1]);
    }
    EXPECT_FALSE(fs::exists(first)) << "two bundles back: removed";
    EXPECT_TRUE(fs::exists(second));
    EXPECT_TRUE(fs::exists(third));
    folders.discard(third);
    EXPECT_FALSE(fs::exists(third));
  }
  EXPECT_FALSE(fs::exists(second.parent_path().parent_path())) << "everything goes with the object";
  ::unsetenv("TMPDIR");
}

}  // namespace
}  // namespace postern::controlplane
