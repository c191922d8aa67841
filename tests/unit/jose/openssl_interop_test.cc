// Interop with an independent implementation: tokens signed by the `openssl` command line
// verify here, and tokens signed here verify with the `openssl` command line, for every
// algorithm family.
#include <gtest/gtest.h>

#include "jose/claims.h"
#include "jose/jwt.h"
#include "jose/key.h"
#include "jose/key_set.h"
#include "jose/signer.h"
#include "jose/verifier.h"
#include "test_util.h"

namespace postern::jose {
namespace {

using test::b64;
using test::pem_keys;
using test::read_file;
using test::run;
using test::write_file;

constexpr std::string_view kClaims =
    R"({"iss":"https://idp.example","sub":"alice","aud":"postern","exp":4102444800,"iat":1700000000,"scope":"read write"})";
// 64 bytes, given to openssl as hex.
const std::string kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Case {
  Alg alg;
  std::string key_file;  // private key file (base name) in pem_keys().dir, or "" for HMAC
  std::string sha;       // sha256 / sha384 / sha512
};

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {{Alg::kRS256, "rsa", "sha256"},   {Alg::kRS384, "rsa", "sha384"},
                                      {Alg::kRS512, "rsa", "sha512"},   {Alg::kPS256, "rsa", "sha256"},
                                      {Alg::kPS384, "rsa", "sha384"},   {Alg::kPS512, "rsa", "sha512"},
                                      {Alg::kES256, "ec256", "sha256"}, {Alg::kES384, "ec384", "sha384"},
                                      {Alg::kES512, "ec521", "sha512"}, {Alg::kEdDSA, "ed", ""},
                                      {Alg::kHS256, "", "sha256"},      {Alg::kHS384, "", "sha384"},
                                      {Alg::kHS512, "", "sha512"}};
  return c;
}

std::string hex(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

bool is_pss(Alg a) { return a >= Alg::kPS256 && a <= Alg::kPS512; }
bool is_ec(Alg a) { return a >= Alg::kES256 && a <= Alg::kES512; }
size_t ec_field(Alg a) { return a == Alg::kES256 ? 32 : a == Alg::kES384 ? 48 : 66; }
const char* kPssOpts = " -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest";

// Our view of the public key for a case.
Key public_key(const Case& c) {
  Key k;
  if (c.key_file.empty()) {
    EXPECT_TRUE(Key::from_secret(kSecret, k, "k").ok());
  } else {
    Status st = Key::from_pem(read_file(pem_keys().dir / (c.key_file + ".pub")), k, "k");
    EXPECT_TRUE(st.ok()) << st.message();
  }
  return k;
}

// Signs `input` with the openssl command line; returns the JOSE signature bytes.
std::string openssl_sign(const Case& c, std::string_view input) {
  const auto& dir = pem_keys().dir;
  write_file(dir / "in.txt", input);
  std::string cmd;
  if (c.alg == Alg::kEdDSA) {
    cmd = "openssl pkeyutl -sign -inkey ed.pem -rawin -in in.txt -out sig.bin";
  } else if (is_hmac(c.alg)) {
    cmd = "openssl dgst -" + c.sha + " -mac HMAC -macopt hexkey:" + hex(kSecret) + " -binary -out sig.bin in.txt";
  } else {
    cmd = "openssl dgst -" + c.sha + " -sign " + c.key_file + ".pem" + (is_pss(c.alg) ? kPssOpts : "") +
          " -out sig.bin in.txt";
  }
  run(dir, cmd);
  std::string sig = read_file(dir / "sig.bin");
  return is_ec(c.alg) ? test::der_to_raw(sig, ec_field(c.alg)) : sig;
}

// Verifies a JOSE signature with the openssl command line.
bool openssl_verify(const Case& c, std::string_view input, std::string_view sig) {
  const auto& dir = pem_keys().dir;
  write_file(dir / "in.txt", input);
  if (is_hmac(c.alg)) return openssl_sign(c, input) == sig;
  write_file(dir / "sig.bin", is_ec(c.alg) ? test::raw_to_der(sig) : std::string(sig));
  std::string cmd;
  if (c.alg == Alg::kEdDSA) {
    cmd = "openssl pkeyutl -verify -pubin -inkey ed.pub -rawin -in in.txt -sigfile sig.bin";
  } else {
    cmd = "openssl dgst -" + c.sha + " -verify " + c.key_file + ".pub" + (is_pss(c.alg) ? kPssOpts : "") +
          " -signature sig.bin in.txt";
  }
  return run(dir, cmd) == 0;
}

TEST(OpensslInterop, TokensSignedByOpensslVerify) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(std::string(alg_name(c.alg)));
    std::string header = R"({"alg":")" + std::string(alg_name(c.alg)) + R"(","typ":"JWT","kid":"k"})";
    std::string input = b64(header) + "." + b64(kClaims);
    std::string token = input + "." + b64(openssl_sign(c, input));

    DecodedJwt jwt;
    ASSERT_EQ(decode(token, jwt), JwtError::kNone);
    Key key = public_key(c);
    EXPECT_TRUE(verify(jwt, key));
    KeySet set;
    set.add(key);
    EXPECT_EQ(verify_with_keys(jwt, set, AlgSet{c.alg}), JwtError::kNone);
    ClaimPolicy policy;
    policy.issuer = "https://idp.example";
    policy.audiences = {"postern"};
    EXPECT_EQ(validate_claims(jwt.claims, policy, 1700000100), JwtError::kNone);
    EXPECT_EQ(jwt.claims.scopes, (std::vector<std::string>{"read", "write"}));

    // The same signature over a modified payload does not verify.
    std::string forged = b64(header) + "." + b64(R"({"sub":"mallory","exp":4102444800})") + "." +
                         token.substr(token.rfind('.') + 1);
    ASSERT_EQ(decode(forged, jwt), JwtError::kNone);
    EXPECT_EQ(verify_with_keys(jwt, set, AlgSet{c.alg}), JwtError::kBadSignature);
  }
}

TEST(OpensslInterop, TokensSignedHereVerifyWithOpenssl) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(std::string(alg_name(c.alg)));
    Key priv;
    if (c.key_file.empty()) {
      ASSERT_TRUE(Key::from_secret(kSecret, priv).ok());
    } else {
      ASSERT_TRUE(Key::from_pem(read_file(pem_keys().dir / (c.key_file + ".pem")), priv).ok());
    }
    std::string token;
    ASSERT_TRUE(sign(c.alg, priv, R"("typ":"JWT")", kClaims, token).ok());
    size_t dot = token.rfind('.');
    std::string sig = test::unb64(token.substr(dot + 1));
    EXPECT_TRUE(openssl_verify(c, token.substr(0, dot), sig));
  }
}

TEST(OpensslInterop, CertificateKeyVerifiesRs256) {
  Key cert;
  ASSERT_TRUE(Key::from_pem(pem_keys().rsa_cert, cert).ok());
  Case c{Alg::kRS256, "rsa", "sha256"};
  std::string input = b64(R"({"alg":"RS256","kid":"whatever"})") + "." + b64(kClaims);
  DecodedJwt jwt;
  std::string token = input + "." + b64(openssl_sign(c, input));
  ASSERT_EQ(decode(token, jwt), JwtError::kNone);
  KeySet set;
  set.add(cert);  // a kid-less certificate key accepts any kid (WSO2 certificateAlias)
  EXPECT_EQ(verify_with_keys(jwt, set, AlgSet{Alg::kRS256, Alg::kPS256}), JwtError::kNone);
}

}  // namespace
}  // namespace postern::jose
