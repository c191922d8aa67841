#include "filters/auth/password_hash.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

namespace postern::filters {
namespace {

constexpr unsigned kLn = 10;  // fast: 1 MiB, ~1 ms

// Splits "$scrypt$<params>$<salt>$<hash>" into its parts.
struct Parts {
  std::string params, salt, hash;
};
Parts split(const std::string& e) {
  size_t a = e.find('$', 1), b = e.find('$', a + 1), c = e.find('$', b + 1);
  return {e.substr(a + 1, b - a - 1), e.substr(b + 1, c - b - 1), e.substr(c + 1)};
}
std::string join(const Parts& p) { return "$scrypt$" + p.params + "$" + p.salt + "$" + p.hash; }

// Flips one base64 character to another valid one (keeps canonical trailing bits for index 0).
std::string flip(std::string s, size_t i = 0) {
  s[i] = s[i] == 'A' ? 'B' : 'A';
  return s;
}

TEST(PasswordHash, DefaultHashHasDocumentedFormatAndVerifies) {
  std::string e = hash_password("correct horse");
  ASSERT_EQ(e.rfind("$scrypt$ln=13,r=8,p=1$", 0), 0u) << e;
  Parts p = split(e);
  EXPECT_EQ(p.salt.size(), 22u);  // 16 bytes, unpadded base64
  EXPECT_EQ(p.hash.size(), 43u);  // 32 bytes
  EXPECT_TRUE(is_password_hash(e));
  bool legacy = true;
  EXPECT_TRUE(verify_password("correct horse", e, &legacy));
  EXPECT_FALSE(legacy);  // (one hash + one verify at the default cost: ~0.4 s on a small VM)
}

TEST(PasswordHash, HashThenVerify) {
  std::string e = hash_password("s3cret", kLn);
  ASSERT_EQ(e.rfind("$scrypt$ln=10,r=8,p=1$", 0), 0u) << e;
  EXPECT_TRUE(verify_password("s3cret", e));
  EXPECT_FALSE(verify_password("s3cret ", e));
  EXPECT_FALSE(verify_password("", e));
  EXPECT_FALSE(verify_password("S3cret", e));
}

TEST(PasswordHash, EmptyAndBinaryPasswords) {
  std::string e = hash_password("", kLn);
  EXPECT_TRUE(verify_password("", e));
  EXPECT_FALSE(verify_password("x", e));
  std::string bin("a\0b\xff", 4);
  std::string eb = hash_password(bin, kLn);
  EXPECT_TRUE(verify_password(bin, eb));
  EXPECT_FALSE(verify_password("a", eb));  // no truncation at NUL
}

TEST(PasswordHash, SaltMakesHashesDiffer) {
  std::string a = hash_password("same", kLn), b = hash_password("same", kLn);
  EXPECT_NE(a, b);
  EXPECT_NE(split(a).salt, split(b).salt);
  EXPECT_TRUE(verify_password("same", a));
  EXPECT_TRUE(verify_password("same", b));
}

TEST(PasswordHash, HashOutOfRangeLnFails) {
  EXPECT_EQ(hash_password("x", 9), "");
  EXPECT_EQ(hash_password("x", 21), "");
}

TEST(PasswordHash, TamperedFails) {
  std::string e = hash_password("pw", kLn);
  Parts p = split(e);
  ASSERT_TRUE(verify_password("pw", join(p)));
  Parts t = p;
  t.hash = flip(p.hash);
  EXPECT_TRUE(is_password_hash(join(t)));
  EXPECT_FALSE(verify_password("pw", join(t)));
  t = p;
  t.salt = flip(p.salt);
  EXPECT_FALSE(verify_password("pw", join(t)));
  for (const char* params : {"ln=11,r=8,p=1", "ln=10,r=7,p=1", "ln=10,r=8,p=2"}) {
    t = p;
    t.params = params;
    EXPECT_TRUE(is_password_hash(join(t))) << params;
    EXPECT_FALSE(verify_password("pw", join(t))) << params;
  }
}

TEST(PasswordHash, MalformedFails) {
  std::string e = hash_password("pw", kLn);
  Parts p = split(e);
  const std::string good_tail = "$" + p.salt + "$" + p.hash;
  std::vector<std::string> bad = {
      "",
      "pw",
      "$scrypt$",
      "$scrypt$ln=10,r=8,p=1",
      "$scrypt$ln=10,r=8,p=1$" + p.salt,
      "$scrypt$ln=10,r=8,p=1$" + p.salt + "$",
      "$scrypt$ln=10,r=8,p=1$$" + p.hash,
      "$scrypt$ln=10,r=8,p=1" + good_tail + "$",
      "$scrypt$ln=10,r=8,p=1" + good_tail + "=",
      "$scrypt$ln=10,r=8,p=1$" + p.salt + "==$" + p.hash,  // padding
      " $scrypt$ln=10,r=8,p=1" + good_tail,
      "$scrypt$ln=10,r=8,p=1" + good_tail + " ",
      "$SCRYPT$ln=10,r=8,p=1" + good_tail,
      "$scrypt$ln=10,p=1,r=8" + good_tail,  // order
      "$scrypt$r=8,ln=10,p=1" + good_tail,
      "$scrypt$ln=10,r=8" + good_tail,
      "$scrypt$ln=10,r=8,p=1,x=1" + good_tail,
      "$scrypt$ln=010,r=8,p=1" + good_tail,  // leading zero
      "$scrypt$ln=+10,r=8,p=1" + good_tail,
      "$scrypt$ln=,r=8,p=1" + good_tail,
      "$scrypt$ln=10,r=08,p=1" + good_tail,
      "$scrypt$ln= 10,r=8,p=1" + good_tail,
      "$scrypt$ln=10, r=8,p=1" + good_tail,
      "$scrypt$ln=10,r=8,p=1$" + p.salt + "$" + p.hash.substr(0, 42) + "-",  // base64url char
      "$scrypt$ln=10,r=8,p=1$" + p.salt + "$" + p.hash.substr(0, 42) + "*",
      "$scrypt$ln=10,r=8,p=1$" + p.salt.substr(0, 21) + "$" + p.hash,  // len % 4 == 1
      "$scrypt$ln=10,r=8,p=1$QUJDREVGRw$" + p.hash,                    // 7-byte salt
      "$scrypt$ln=10,r=8,p=1$" + p.salt + "$QUJDREVGR0hJSktMTU5P",     // 15-byte hash
      "$scrypt$ln=10,r=8,p=1$" + std::string(88, 'A') + "$" + p.hash,  // 66-byte salt
      "$scrypt$ln=10,r=8,p=1$" + p.salt + "$" + std::string(88, 'A'),  // 66-byte hash
  };
  // Non-canonical base64: last char of a 16-byte salt carries 4 unused bits.
  std::string nc = p.salt;
  nc.back() = nc.back() == 'B' ? 'C' : 'B';
  bad.push_back("$scrypt$ln=10,r=8,p=1$" + nc + "$" + p.hash);
  for (const auto& b : bad) {
    EXPECT_FALSE(is_password_hash(b)) << b;
    EXPECT_FALSE(verify_password("pw", b)) << b;
  }
  // Sanity: the unmodified string is accepted.
  EXPECT_TRUE(verify_password("pw", "$scrypt$ln=10,r=8,p=1" + good_tail));
}

TEST(PasswordHash, ParameterBounds) {
  Parts p = split(hash_password("pw", kLn));
  auto with = [&](const std::string& params) { return "$scrypt$" + params + "$" + p.salt + "$" + p.hash; };
  // Out of the per-parameter bounds.
  for (const char* params : {"ln=9,r=8,p=1", "ln=21,r=1,p=1", "ln=99,r=8,p=1", "ln=10,r=0,p=1", "ln=10,r=33,p=1",
                             "ln=10,r=8,p=0", "ln=10,r=8,p=17", "ln=10,r=999,p=1", "ln=4294967306,r=8,p=1"}) {
    EXPECT_FALSE(is_password_hash(with(params))) << params;
    EXPECT_FALSE(verify_password("pw", with(params))) << params;
  }
  // Within each bound but over the combined memory (128*r*N <= 256 MiB) or work
  // (p*r*N <= 2^22) caps.
  for (const char* params :
       {"ln=20,r=8,p=1", "ln=20,r=4,p=1", "ln=20,r=32,p=16", "ln=17,r=32,p=1", "ln=15,r=32,p=16"}) {
    EXPECT_FALSE(is_password_hash(with(params))) << params;
    EXPECT_FALSE(verify_password("pw", with(params))) << params;
  }
  // At the edges (format check only: no expensive hashing in a unit test).
  for (const char* params : {"ln=10,r=1,p=1", "ln=20,r=2,p=2", "ln=16,r=32,p=2", "ln=10,r=32,p=16", "ln=15,r=8,p=16"}) {
    EXPECT_TRUE(is_password_hash(with(params))) << params;
  }
}

TEST(PasswordHash, IsPasswordHash) {
  // passlib's documented example hash (passlib.hash.scrypt).
  EXPECT_TRUE(
      is_password_hash("$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E"));
  for (const char* plain :
       {"admin", "password123", "$scrypt", "{SHA}abc", "$2b$12$abcdefghijklmnopqrstuv", "@sha256:", "@sha256:{}",
        "@sha512:{"
        "00"}) {
    bool legacy = true;
    EXPECT_FALSE(is_password_hash(plain, &legacy)) << plain;
    EXPECT_FALSE(legacy) << plain;
  }
}

TEST(PasswordHash, KnownVectors) {
  // Generated independently with Python: hashlib.scrypt(...) + base64.b64encode().rstrip("=").
  // Pins the format, the base64 alphabet and the KDF wiring (not only self-consistency).
  const std::string a =  // scrypt("password", "0123456789abcdef", N=1024, r=8, p=1, 32)
      "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ZEBCzLptWM7dhpNJDU2HbQ945ovKHmVEozHkePPbSqw";
  EXPECT_TRUE(verify_password("password", a));
  EXPECT_FALSE(verify_password("Password", a));
  const std::string b =  // scrypt("pleaseletmein", "SodiumChloride", N=1024, r=2, p=3, 64): '+' and '/'
      "$scrypt$ln=10,r=2,p=3$U29kaXVtQ2hsb3JpZGU$"
      "qxobDC25HNhYtVY3MuweXoUGyaYwaiXUCWUubI85shalwogG6jbCefzyhLuWcRWBekNIS/yX6W/6IkmmOuVHgw";
  EXPECT_TRUE(verify_password("pleaseletmein", b));
  EXPECT_FALSE(verify_password("pleaseletmeout", b));
}

TEST(PasswordHash, LegacyWso2Formats) {
  // SHA-256("admin") and SHA-1("admin").
  const std::string sha256 = "8c6976e5b5410415bde908bd4dee15dfb167a9c873fc4bb8a81f6f2ab448a918";
  const std::string sha1 = "d033e22ae348aeb5660fc2140aec35850c4da997";
  bool legacy = false;
  EXPECT_TRUE(verify_password("admin", "@sha256:{" + sha256 + "}", &legacy));
  EXPECT_TRUE(legacy);
  legacy = false;
  EXPECT_TRUE(verify_password("admin", sha1, &legacy));
  EXPECT_TRUE(legacy);
  std::string upper = sha1;
  for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(verify_password("admin", upper));
  EXPECT_FALSE(verify_password("Admin", "@sha256:{" + sha256 + "}"));
  EXPECT_FALSE(verify_password("Admin", sha1));

  legacy = false;
  EXPECT_TRUE(is_password_hash(sha1, &legacy));
  EXPECT_TRUE(legacy);
  EXPECT_TRUE(is_password_hash("@sha256:{" + sha256 + "}"));
  for (const std::string& bad :
       {"@sha256:" + sha256, "@sha256:{" + sha256, "@sha256:{" + sha256 + "} ", "@sha256:{" + sha256.substr(2) + "}",
        "@sha256:{" + sha1 + "}", "@SHA256:{" + sha256 + "}", sha1.substr(1), sha1 + "0", "g" + sha1.substr(1),
        sha256}) {
    EXPECT_FALSE(is_password_hash(bad)) << bad;
    EXPECT_FALSE(verify_password("admin", bad)) << bad;
  }
}

}  // namespace
}  // namespace postern::filters
