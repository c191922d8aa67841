// Signed bundles through the real binary: `postern bundle build|verify|inspect` and
// `postern run BUNDLE --trust KEY` serving through the echo backend, refusing every
// tampered, unsigned or foreign-signed bundle with a clear error and a non-zero exit.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <regex>

#include "fixture.h"
#include "harness.h"

namespace postern::itest {
namespace {

class Bundles : public ::testing::Test {
 protected:
  void SetUp() override {
    echo = std::make_unique<Echo>(tmp.path());
    GatewayOptions options;
    options.apis["pets.yaml"] = pets_api(echo->url());
    gw = std::make_unique<Gateway>(tmp / "project", std::move(options));  // writes the project only
    ASSERT_EQ(make_key(tmp / "sign.key", tmp / "sign.pub", "ED25519"), "");
    ASSERT_EQ(make_key(tmp / "other.key", tmp / "other.pub", "ED25519"), "");
  }

  void TearDown() override {
    if (served) {
      if (served->alive()) {
        served->signal(SIGTERM);
        auto st = served->wait_exit(15000ms);
        EXPECT_TRUE(st && WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << (st ? describe_status(*st) : "no exit");
      }
      EXPECT_EQ(sanitizer_report(served->log()), "");
      if (HasFailure()) std::cerr << "----- postern log -----\n" << served->log() << "-----\n";
    }
    echo->process().stop();
  }

  static std::string make_key(const fs::path& key, const fs::path& pub, const std::string& alg) {
    std::string gen = alg == "EC" ? "-algorithm EC -pkeyopt ec_paramgen_curve:P-256" : "-algorithm " + alg;
    auto r = run_command("openssl genpkey " + gen + " -out " + shell_quote(key.string()) + " && openssl pkey -in " +
                         shell_quote(key.string()) + " -pubout -out " + shell_quote(pub.string()));
    return r.exit_code == 0 ? "" : r.output;
  }

  // A CLI call; under ASan/UBSan its stderr must hold no report (refusals exit 1 anyway,
  // so the exit code alone would not show a leak on those paths).
  static CommandResult postern(const std::string& args) {
    auto r = run_command(shell_quote(postern_binary()) + " " + args, 60);
    EXPECT_EQ(sanitizer_report(r.output), "") << "postern " << args;
    return r;
  }

  CommandResult build(const fs::path& out, const std::string& extra = "--sequence 5",
                      const std::string& key = "sign.key") {
    return postern("bundle build " + shell_quote((tmp / "project").string()) + " -o " + shell_quote(out.string()) +
                   " --sign " + shell_quote((tmp / key).string()) + " " + extra);
  }

  void build_ok(const fs::path& out, const std::string& extra = "--sequence 5", const std::string& key = "sign.key") {
    auto r = build(out, extra, key);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  // `postern run BUNDLE --trust sign.pub` must exit non-zero at once, saying `why`.
  void expect_refused(const fs::path& bundle, const std::string& why, const std::string& trust = "sign.pub") {
    auto r = postern("run " + shell_quote(bundle.string()) + " --trust " + shell_quote((tmp / trust).string()));
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(r.exit_code, 124) << "the gateway started instead of refusing: " << r.output;
    EXPECT_NE(r.output.find("postern run: refusing bundle " + bundle.string() + ": "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(why), std::string::npos) << r.output;
    auto v = postern("bundle verify " + shell_quote(bundle.string()) + " --trust " +
                     shell_quote((tmp / trust).string()));
    EXPECT_EQ(v.exit_code, 1) << v.output;
    EXPECT_NE(v.output.find(why), std::string::npos) << v.output;
  }

  // Starts `postern run BUNDLE --trust ...` and waits for /ready.
  void serve(const fs::path& bundle, const std::string& trust = "sign.pub") {
    served = std::make_unique<Process>(std::vector<std::string>{postern_binary(), "--log-level", "debug", "run",
                                                                bundle.string(), "--trust", (tmp / trust).string()},
                                       tmp / "served.log");
    bool ready = eventually(20000ms, [&] {
      if (!served->alive()) return true;
      auto r = http_request(gw->admin_port(), "GET", "/ready", {}, {}, 1000ms);
      return r && r->status == 200;
    });
    ASSERT_TRUE(ready && served->alive()) << served->log();
  }

  // Replaces the first occurrence of `from` in the file with `to` (same length).
  static void patch(const fs::path& file, const std::string& from, const std::string& to) {
    std::string bytes = read_file(file);
    size_t at = bytes.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    ASSERT_EQ(from.size(), to.size());
    bytes.replace(at, from.size(), to);
    write_file(file, bytes);
  }

  TempDir tmp;
  std::unique_ptr<Echo> echo;
  std::unique_ptr<Gateway> gw;
  std::unique_ptr<Process> served;
};

TEST_F(Bundles, BuildIsReproducibleAndAPlainTar) {
  build_ok(tmp / "a.bundle");
  build_ok(tmp / "b.bundle");
  std::string a = read_file(tmp / "a.bundle");
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, read_file(tmp / "b.bundle"));  // Ed25519: the same file
  build_ok(tmp / "c.bundle", "--sequence 6");
  EXPECT_NE(a, read_file(tmp / "c.bundle"));

  auto list = run_command("tar tf " + shell_quote((tmp / "a.bundle").string()), 30, false);
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_EQ(list.output, "MANIFEST\nSIGNATURE\nproject/apis/pets.yaml\nproject/postern.yaml\n");
  auto manifest = run_command("tar xOf " + shell_quote((tmp / "a.bundle").string()) + " MANIFEST", 30, false);
  std::string pets = read_file(tmp / "project/apis/pets.yaml");
  EXPECT_NE(manifest.output.find("sequence 5\nfile " + sha256_hex(pets) + " " + std::to_string(pets.size()) +
                                 " apis/pets.yaml\n"),
            std::string::npos)
      << manifest.output;
}

TEST_F(Bundles, EcdsaBuildsShareTheManifestAndDigest) {
  ASSERT_EQ(make_key(tmp / "ec.key", tmp / "ec.pub", "EC"), "");
  auto a = build(tmp / "a.bundle", "--sequence 9", "ec.key");
  auto b = build(tmp / "b.bundle", "--sequence 9", "ec.key");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  ASSERT_EQ(b.exit_code, 0) << b.output;
  auto ma = run_command("tar xOf " + shell_quote((tmp / "a.bundle").string()) + " MANIFEST", 30, false);
  auto mb = run_command("tar xOf " + shell_quote((tmp / "b.bundle").string()) + " MANIFEST", 30, false);
  EXPECT_EQ(ma.output, mb.output);
  std::smatch da, db;
  ASSERT_TRUE(std::regex_search(a.output, da, std::regex("digest ([0-9a-f]{64})"))) << a.output;
  ASSERT_TRUE(std::regex_search(b.output, db, std::regex("digest ([0-9a-f]{64})"))) << b.output;
  EXPECT_EQ(da[1], db[1]);
  EXPECT_EQ(da[1], sha256_hex(ma.output));
  for (const char* f : {"a.bundle", "b.bundle"}) {
    auto v = postern("bundle verify " + shell_quote((tmp / f).string()) + " --trust " +
                     shell_quote((tmp / "ec.pub").string()));
    EXPECT_EQ(v.exit_code, 0) << v.output;
  }
}

TEST_F(Bundles, VerifyAndInspectSayWhatIsInside) {
  build_ok(tmp / "api.bundle", "--sequence 42");
  auto v = postern("bundle verify " + shell_quote((tmp / "api.bundle").string()) + " --trust " +
                   shell_quote((tmp / "sign.pub").string()));
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_NE(v.output.find("ok: " + (tmp / "api.bundle").string() + ": 2 files, sequence 42, digest "),
            std::string::npos)
      << v.output;
  auto i = postern("bundle inspect " + shell_quote((tmp / "api.bundle").string()));
  EXPECT_EQ(i.exit_code, 0) << i.output;
  EXPECT_NE(i.output.find("signature NOT checked"), std::string::npos) << i.output;
  EXPECT_NE(i.output.find("sequence:  42"), std::string::npos) << i.output;
  EXPECT_NE(i.output.find("signature: EdDSA by key "), std::string::npos) << i.output;
  EXPECT_NE(i.output.find(" apis/pets.yaml"), std::string::npos) << i.output;
}

TEST_F(Bundles, RunServesARequestThroughTheBundleAndCleansUp) {
  build_ok(tmp / "api.bundle");
  fs::remove_all(tmp / "project");  // the gateway must need nothing but the bundle
  ASSERT_NO_FATAL_FAILURE(serve(tmp / "api.bundle"));
  auto r = http_request(gw->http_port(), "GET", "/pets/1.0.0/items/7?x=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->raw_head << r->body;
  EXPECT_EQ(echo_of(*r)["path"].str(), "/items/7");
  std::smatch m;
  std::string log = served->log();
  ASSERT_TRUE(std::regex_search(log, m,
                                std::regex("sequence 5, digest [0-9a-f]{64}, 2 files, signed by key [0-9a-f]{64}; "
                                           "extracted to (\\S+)")))
      << log;
  fs::path extracted = m[1].str();
  EXPECT_TRUE(fs::is_regular_file(extracted / "postern.yaml"));
  served->signal(SIGTERM);
  auto st = served->wait_exit(15000ms);
  ASSERT_TRUE(st && WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << (st ? describe_status(*st) : "no exit");
  EXPECT_FALSE(fs::exists(extracted.parent_path())) << "the extracted bundle was left behind";
}

TEST_F(Bundles, RunTakesSecretsFromBesideTheBundle) {
  GatewayOptions options;
  options.apis["pets.yaml"] = pets_api(echo->url());
  options.tls_listener = true;
  gw = std::make_unique<Gateway>(tmp / "project", std::move(options));
  // A private key in the project is refused, naming the file.
  auto refused = build(tmp / "api.bundle");
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("pki/"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find(".key: holds a PEM private key"), std::string::npos) << refused.output;
  EXPECT_FALSE(fs::exists(tmp / "api.bundle"));
  // Moved next to where the bundle will live, the keys are found there at run time.
  fs::create_directories(tmp / "deploy/pki");
  fs::rename(tmp / "project/pki/server.key", tmp / "deploy/pki/server.key");
  fs::rename(tmp / "project/pki/ca.key", tmp / "deploy/pki/ca.key");
  build_ok(tmp / "deploy/api.bundle");
  auto list = run_command("tar tf " + shell_quote((tmp / "deploy/api.bundle").string()), 30, false);
  EXPECT_EQ(list.output.find(".key"), std::string::npos) << list.output;
  ASSERT_NO_FATAL_FAILURE(serve(tmp / "deploy/api.bundle"));
  auto r = run_command("curl -sS --cacert " + shell_quote(gw->pki().ca_cert.string()) + " https://127.0.0.1:" +
                       std::to_string(gw->https_port()) + "/pets/1.0.0/items -o /dev/null -w '%{http_code}'");
  EXPECT_EQ(r.output, "200") << r.output;
}

TEST_F(Bundles, RunRefusesATamperedFile) {
  build_ok(tmp / "api.bundle");
  patch(tmp / "api.bundle", "listeners:", "Listeners:");
  expect_refused(tmp / "api.bundle", "file 'postern.yaml' does not match its SHA-256 in the manifest");
}

TEST_F(Bundles, RunRefusesATamperedManifest) {
  build_ok(tmp / "api.bundle");
  patch(tmp / "api.bundle", "sequence 5\n", "sequence 6\n");
  expect_refused(tmp / "api.bundle",
                 "the signature does not match the manifest (the bundle was changed after it was signed)");
}

TEST_F(Bundles, RunRefusesATamperedSignature) {
  build_ok(tmp / "api.bundle");
  std::string bytes = read_file(tmp / "api.bundle");
  size_t at = bytes.find("\nsignature ");
  ASSERT_NE(at, std::string::npos);
  char& c = bytes[at + 11 + 20];
  c = c == 'A' ? 'B' : 'A';
  write_file(tmp / "api.bundle", bytes);
  expect_refused(tmp / "api.bundle",
                 "the signature does not match the manifest (the bundle was changed after it was signed)");
}

TEST_F(Bundles, RunRefusesASwappedFileRepackedWithGnuTar) {
  build_ok(tmp / "api.bundle");
  fs::create_directories(tmp / "x");
  auto x = run_command("tar -m -xf " + shell_quote((tmp / "api.bundle").string()) + " -C " +
                       shell_quote((tmp / "x").string()));
  ASSERT_EQ(x.exit_code, 0) << x.output;
  write_file(tmp / "x/project/apis/pets.yaml", pets_api("http://127.0.0.1:1", "", "6.6.6"));
  auto c = run_command("tar --format=ustar -C " + shell_quote((tmp / "x").string()) + " -cf " +
                       shell_quote((tmp / "swapped.bundle").string()) +
                       " MANIFEST SIGNATURE project/apis/pets.yaml project/postern.yaml");
  ASSERT_EQ(c.exit_code, 0) << c.output;
  expect_refused(tmp / "swapped.bundle", "file 'apis/pets.yaml' does not match its SHA-256 in the manifest");
}

TEST_F(Bundles, RunRefusesAnUnsignedBundle) {
  build_ok(tmp / "api.bundle");
  fs::create_directories(tmp / "x");
  auto x = run_command("tar -m -xf " + shell_quote((tmp / "api.bundle").string()) + " -C " +
                       shell_quote((tmp / "x").string()));
  ASSERT_EQ(x.exit_code, 0) << x.output;
  auto c = run_command("tar --format=ustar -C " + shell_quote((tmp / "x").string()) + " -cf " +
                       shell_quote((tmp / "unsigned.bundle").string()) +
                       " MANIFEST project/apis/pets.yaml project/postern.yaml");
  ASSERT_EQ(c.exit_code, 0) << c.output;
  expect_refused(tmp / "unsigned.bundle", "the bundle is not signed");
}

TEST_F(Bundles, RunRefusesABundleSignedByAnotherKey) {
  build_ok(tmp / "api.bundle", "--sequence 5", "other.key");
  auto id = run_command("openssl pkey -pubin -in " + shell_quote((tmp / "other.pub").string()) +
                            " -outform DER | sha256sum",
                        30, false);
  ASSERT_EQ(id.exit_code, 0);
  expect_refused(tmp / "api.bundle", "signed by key " + id.output.substr(0, 16) + ", which is not trusted (trusted: ");
}

TEST_F(Bundles, RunRefusesWithoutTrustOrWithAPrivateKeyAsTrust) {
  build_ok(tmp / "api.bundle");
  auto r = postern("run " + shell_quote((tmp / "api.bundle").string()));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("a bundle is served only with --trust KEY"), std::string::npos) << r.output;
  expect_refused(tmp / "api.bundle", (tmp / "sign.key").string() + ": is a private key; trust the public key only",
                 "sign.key");
}

TEST_F(Bundles, BuildRefusesAPrivateKeyWhateverItsNameAndSecretFiles) {
  write_file(tmp / "project/certs/issuer.pem", read_file(tmp / "other.key"));
  auto r = build(tmp / "api.bundle");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("certs/issuer.pem: holds a PEM private key; bundles never carry private keys"),
            std::string::npos)
      << r.output;
  fs::remove(tmp / "project/certs/issuer.pem");
  write_file(tmp / "project/hmac.secret", "0123456789abcdef0123456789abcdef");
  r = build(tmp / "api.bundle");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("hmac.secret: its name says it holds a secret"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(tmp / "api.bundle"));
}

}  // namespace
}  // namespace postern::itest
