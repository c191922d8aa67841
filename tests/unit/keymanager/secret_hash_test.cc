#include "keymanager/secret_hash.h"

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <regex>
#include <set>

namespace postern::keymanager {
namespace {

TEST(SecretHash, RoundTripInTheDocumentedFormat) {
  auto started = std::chrono::steady_clock::now();
  std::string encoded = hash_secret("s3cret-client-secret");
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  std::cout << "[          ] one hash_secret took " << took.count() << " ms\n";
  EXPECT_TRUE(std::regex_match(encoded, std::regex(R"(\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43})")))
      << encoded;
  EXPECT_TRUE(verify_secret("s3cret-client-secret", encoded));
}

TEST(SecretHash, WrongSecretFails) {
  std::string encoded = hash_secret("right");
  EXPECT_FALSE(verify_secret("wrong", encoded));
  EXPECT_FALSE(verify_secret("", encoded));
  EXPECT_FALSE(verify_secret("right ", encoded));
}

TEST(SecretHash, SaltIsFreshEveryTime) { EXPECT_NE(hash_secret("same"), hash_secret("same")); }

TEST(SecretHash, MalformedOrForeignEncodingsFail) {
  std::string good = hash_secret("x");
  for (std::string bad : {std::string(), std::string("x"), std::string("$scrypt$"), good.substr(0, good.size() - 1),
                          good.substr(0, good.size() - 4),  // 40 characters: a valid 30-byte hash
                          good + "A", good.substr(0, good.rfind('$')), std::string("$scrypt$ln=15,r=8,p=1$$"),
                          std::string("$scrypt$ln=99,r=8,p=1") + good.substr(good.find("$", 8)),
                          // The gateway's legacy unsalted formats are not accepted here.
                          std::string("11f6ad8ec52a2984abaafd7c3b516503785c2072"),  // SHA-1 of "x"
                          std::string("@sha256:{2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881}")})
    EXPECT_FALSE(verify_secret("x", bad)) << bad;
}

TEST(RandomToken, Base64urlOfTheRequestedLength) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string t = random_token(32);
    EXPECT_EQ(t.size(), 43u);
    EXPECT_TRUE(std::regex_match(t, std::regex("[A-Za-z0-9_-]+"))) << t;
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(random_token(16).size(), 22u);
}

TEST(Sha256Hex, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace postern::keymanager
