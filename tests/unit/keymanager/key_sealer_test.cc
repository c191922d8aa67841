#include "keymanager/key_sealer.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "jose/base64url.h"

namespace postern::keymanager {
namespace {

namespace fs = std::filesystem;

constexpr const char* kEnv = "POSTERN_TEST_KM_MASTER_KEY";
constexpr const char* kHexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr const char* kOtherHexKey = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
// The same 32 bytes as kHexKey, as `openssl rand -base64 32` prints a key.
constexpr const char* kBase64Key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

class KeySealerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv(kEnv);
    file_ = fs::temp_directory_path() / ("postern-km-key-" + std::to_string(getpid()));
  }
  void TearDown() override {
    unsetenv(kEnv);
    std::error_code ec;
    fs::remove(file_, ec);
  }
  static KeySealer from_env(const char* key) {
    setenv(kEnv, key, 1);
    return KeySealer::from_env_or_file(kEnv, "");
  }
  void write_key_file(const std::string& content) { std::ofstream(file_) << content; }
  // The message of the error from_env_or_file throws, or "" when it does not.
  std::string load_error(const std::string& path) {
    try {
      KeySealer::from_env_or_file(kEnv, path);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  }
  fs::path file_;
};

const std::string kPem =
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE "
    "KEY-----\n";

TEST_F(KeySealerTest, SealThenOpenGivesThePlaintextBack) {
  KeySealer sealer = from_env(kHexKey);
  std::string sealed = sealer.seal(kPem);
  EXPECT_TRUE(sealed.starts_with("v1.")) << sealed;
  EXPECT_EQ(sealed.find("PRIVATE"), std::string::npos);
  std::optional<std::string> opened = sealer.open(sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, kPem);
  EXPECT_EQ(sealer.open(sealer.seal("")), "");
}

TEST_F(KeySealerTest, SealedFormatIsVersionNonceCiphertextWithTag) {
  std::string sealed = from_env(kHexKey).seal("hello");
  size_t a = sealed.find('.'), b = sealed.find('.', a + 1);
  ASSERT_NE(b, std::string::npos);
  std::string nonce, body;
  ASSERT_TRUE(jose::base64url_decode(sealed.substr(a + 1, b - a - 1), nonce));
  ASSERT_TRUE(jose::base64url_decode(sealed.substr(b + 1), body));
  EXPECT_EQ(nonce.size(), 12u);
  EXPECT_EQ(body.size(), 5u + 16u);
}

TEST_F(KeySealerTest, EverySealUsesAFreshNonce) {
  KeySealer sealer = from_env(kHexKey);
  EXPECT_NE(sealer.seal(kPem), sealer.seal(kPem));
}

TEST_F(KeySealerTest, HexAndBase64FormsOfOneKeyAreTheSameKey) {
  std::string sealed = from_env(kHexKey).seal(kPem);
  EXPECT_EQ(from_env(kBase64Key).open(sealed), kPem);
  EXPECT_EQ(from_env((std::string("  ") + kBase64Key + "\n").c_str()).open(sealed), kPem);
}

TEST_F(KeySealerTest, AnyChangedCharacterIsRefused) {
  KeySealer sealer = from_env(kHexKey);
  std::string sealed = sealer.seal(kPem);
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string tampered = sealed;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(sealer.open(tampered)) << "position " << i;
  }
  EXPECT_FALSE(sealer.open(sealed.substr(0, sealed.size() - 4)));
  EXPECT_FALSE(sealer.open("v2" + sealed.substr(2)));
  EXPECT_FALSE(sealer.open(""));
  EXPECT_FALSE(sealer.open("v1.."));
  EXPECT_FALSE(sealer.open(kPem));
}

TEST_F(KeySealerTest, AnotherKeyCannotOpen) {
  std::string sealed = from_env(kHexKey).seal(kPem);
  EXPECT_FALSE(from_env(kOtherHexKey).open(sealed));
}

TEST_F(KeySealerTest, KeyFromFileWhenTheVariableIsUnset) {
  write_key_file(std::string(kHexKey) + "\n");
  std::string sealed = KeySealer::from_env_or_file(kEnv, file_.string()).seal(kPem);
  EXPECT_EQ(from_env(kHexKey).open(sealed), kPem);
  // The variable wins over the file.
  setenv(kEnv, kOtherHexKey, 1);
  EXPECT_FALSE(KeySealer::from_env_or_file(kEnv, file_.string()).open(sealed));
}

TEST_F(KeySealerTest, MissingKeyNamesTheVariableAndTheFile) {
  std::string no_file = load_error("");
  EXPECT_NE(no_file.find(kEnv), std::string::npos) << no_file;
  std::string missing_file = load_error("/nonexistent/km.key");
  EXPECT_NE(missing_file.find(kEnv), std::string::npos) << missing_file;
  EXPECT_NE(missing_file.find("/nonexistent/km.key"), std::string::npos) << missing_file;
  setenv(kEnv, "", 1);  // set but empty counts as unset
  EXPECT_NE(load_error("").find(kEnv), std::string::npos);
}

TEST_F(KeySealerTest, MalformedKeyNamesWhereItCameFromButNotTheKey) {
  const std::string too_short(62, 'a');
  for (const std::string& bad : {too_short, std::string(64, 'g'), std::string(65, 'a'),
                                 std::string("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"),   // no padding
                                 std::string("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A"),  // 33 bytes' worth
                                 std::string("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-="),  // url alphabet
                                 std::string("correct horse battery staple")}) {
    setenv(kEnv, bad.c_str(), 1);
    std::string error = load_error("");
    EXPECT_NE(error.find("environment variable " + std::string(kEnv)), std::string::npos) << bad << ": " << error;
    EXPECT_EQ(error.find(bad), std::string::npos) << error;
  }
  unsetenv(kEnv);
  write_key_file("not a key");
  std::string error = load_error(file_.string());
  EXPECT_NE(error.find("file " + file_.string()), std::string::npos) << error;
}

}  // namespace
}  // namespace postern::keymanager
