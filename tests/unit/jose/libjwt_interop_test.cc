// Interop with libjwt (Debian's libjwt 1.10, a test-only dependency): tokens libjwt signs
// verify here, and tokens signed here verify in libjwt, for every algorithm libjwt 1.10
// has (HS*, RS*, ES*; it has no PS* or EdDSA, which the openssl tests cover).
#include <jwt.h>

#include <cstdlib>
#include <memory>

#include <unistd.h>

#include "jose/jwt.h"
#include "jose/key.h"
#include "jose/key_set.h"
#include "jose/signer.h"
#include "jose/verifier.h"
#include "test_util.h"

namespace postern::jose {
namespace {

using test::read_file;
using test::run;

struct LibjwtCase {
  Alg alg;
  jwt_alg_t lib;
  std::string key;  // file stem in the key dir; empty for HMAC
};

const std::string kHmacSecret(64, 'k');

const std::filesystem::path& key_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("postern-libjwt-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    run(d,
        "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem && "
        "openssl pkey -in rsa.pem -pubout -out rsa.pub && "
        "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.pem && "
        "openssl pkey -in p256.pem -pubout -out p256.pub && "
        "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.pem && "
        "openssl pkey -in p384.pem -pubout -out p384.pub && "
        "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out p521.pem && "
        "openssl pkey -in p521.pem -pubout -out p521.pub");
    return d;
  }();
  return dir;
}

std::vector<LibjwtCase> cases() {
  return {{Alg::kHS256, JWT_ALG_HS256, ""},     {Alg::kHS384, JWT_ALG_HS384, ""},
          {Alg::kHS512, JWT_ALG_HS512, ""},     {Alg::kRS256, JWT_ALG_RS256, "rsa"},
          {Alg::kRS384, JWT_ALG_RS384, "rsa"},  {Alg::kRS512, JWT_ALG_RS512, "rsa"},
          {Alg::kES256, JWT_ALG_ES256, "p256"}, {Alg::kES384, JWT_ALG_ES384, "p384"},
          {Alg::kES512, JWT_ALG_ES512, "p521"}};
}

std::string key_bytes(const LibjwtCase& c, bool private_half) {
  if (c.key.empty()) return kHmacSecret;
  return read_file(key_dir() / (c.key + (private_half ? ".pem" : ".pub")));
}

Key our_key(const LibjwtCase& c, bool private_half) {
  Key k;
  Status st = c.key.empty() ? Key::from_secret(kHmacSecret, k) : Key::from_pem(key_bytes(c, private_half), k);
  EXPECT_TRUE(st.ok()) << st.message();
  return k;
}

using JwtPtr = std::unique_ptr<jwt_t, decltype(&jwt_free)>;

TEST(LibjwtInterop, TokensSignedByLibjwtVerify) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(std::string(alg_name(c.alg)));
    jwt_t* raw = nullptr;
    ASSERT_EQ(jwt_new(&raw), 0);
    JwtPtr j(raw, &jwt_free);
    ASSERT_EQ(jwt_add_grant(j.get(), "iss", "libjwt"), 0);
    ASSERT_EQ(jwt_add_grant_int(j.get(), "exp", 4102444800L), 0);
    ASSERT_EQ(jwt_add_grant(j.get(), "scope", "a b"), 0);
    std::string key = key_bytes(c, true);
    ASSERT_EQ(jwt_set_alg(j.get(), c.lib, reinterpret_cast<const unsigned char*>(key.data()), int(key.size())), 0);
    char* encoded = jwt_encode_str(j.get());
    ASSERT_NE(encoded, nullptr);
    std::string token(encoded);
    std::free(encoded);

    DecodedJwt jwt;
    ASSERT_EQ(decode(token, jwt), JwtError::kNone) << token;
    KeySet set;
    set.add(our_key(c, false));
    EXPECT_EQ(verify_with_keys(jwt, set, AlgSet{c.alg}), JwtError::kNone);
    EXPECT_EQ(jwt.claims.iss.value_or(""), "libjwt");
    EXPECT_EQ(jwt.claims.scopes, (std::vector<std::string>{"a", "b"}));
    // Flip one signature character: must not verify.
    std::string tampered = token;
    char& last = tampered[tampered.size() - 2];
    last = last == 'A' ? 'B' : 'A';
    if (decode(tampered, jwt) == JwtError::kNone) {
      EXPECT_NE(verify_with_keys(jwt, set, AlgSet{c.alg}), JwtError::kNone);
    }
  }
}

TEST(LibjwtInterop, TokensSignedHereVerifyInLibjwt) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(std::string(alg_name(c.alg)));
    std::string token;
    ASSERT_TRUE(sign(c.alg, our_key(c, true), "\"typ\":\"JWT\"", R"({"iss":"postern","exp":4102444800})", token).ok());
    std::string key = key_bytes(c, false);
    jwt_t* raw = nullptr;
    ASSERT_EQ(jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(key.data()), int(key.size())), 0)
        << token;
    JwtPtr j(raw, &jwt_free);
    EXPECT_EQ(jwt_get_alg(j.get()), c.lib);
    EXPECT_STREQ(jwt_get_grant(j.get(), "iss"), "postern");
  }
}

}  // namespace
}  // namespace postern::jose
