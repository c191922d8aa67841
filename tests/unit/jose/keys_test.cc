// Key loading (PEM, JWK, JWKS, secrets), the can_verify rules, key selection, export.
#include <gtest/gtest.h>

#include "jose/key.h"
#include "jose/key_set.h"
#include "jose/signer.h"
#include "jose/verifier.h"
#include "test_util.h"

namespace postern::jose {
namespace {

using test::pem_keys;

Key pem(const std::string& text, std::string_view kid = {}) {
  Key k;
  Status st = Key::from_pem(text, k, kid);
  EXPECT_TRUE(st.ok()) << st.message();
  return k;
}

constexpr std::string_view kRsaJwk =
    R"({"kty":"RSA","kid":"rsa1","use":"sig","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB"})";
constexpr std::string_view kEcJwk =
    R"({"kty":"EC","kid":"ec1","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";

TEST(Keys, PemForms) {
  const auto& k = pem_keys();
  Key cert = pem(k.rsa_cert, "c1");
  EXPECT_EQ(cert.type(), KeyType::kRsa);
  EXPECT_EQ(cert.bits(), 2048);
  EXPECT_FALSE(cert.has_private());
  EXPECT_EQ(cert.kid(), "c1");
  Key spki = pem(k.rsa_pub);
  Key pkcs1 = pem(k.rsa_pkcs1_pub);
  Key priv = pem(k.rsa_priv);
  EXPECT_TRUE(priv.has_private());
  EXPECT_TRUE(priv.can_sign(Alg::kRS256));
  EXPECT_FALSE(spki.can_sign(Alg::kRS256));
  std::string token;
  ASSERT_TRUE(sign(Alg::kPS384, priv, R"("typ":"JWT")", R"({"a":1})", token).ok());
  DecodedJwt jwt;
  ASSERT_EQ(decode(token, jwt), JwtError::kNone);
  for (const Key* key : {&cert, &spki, &pkcs1, &priv}) EXPECT_TRUE(verify(jwt, *key));

  EXPECT_EQ(pem(k.ec384_pub).curve(), Curve::kP384);
  EXPECT_EQ(pem(k.ec521_priv).curve(), Curve::kP521);
  EXPECT_EQ(pem(k.ed_pub).type(), KeyType::kOkp);
  // Leading text before the PEM block is tolerated (certificate bundles have it).
  EXPECT_EQ(pem("subject=CN=x\n" + k.rsa_cert).type(), KeyType::kRsa);
}

TEST(Keys, PemRejects) {
  Key k;
  EXPECT_FALSE(Key::from_pem("", k).ok());
  EXPECT_FALSE(Key::from_pem("not a pem", k).ok());
  EXPECT_FALSE(Key::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", k).ok());
  EXPECT_FALSE(Key::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", k).ok());
  EXPECT_TRUE(k.empty());
  // An encrypted private key fails without prompting for a passphrase.
  test::TempDir dir;
  test::run(dir.path(),
            "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 -pass pass:secret -out enc.pem");
  EXPECT_FALSE(Key::from_pem(test::read_file(dir / "enc.pem"), k).ok());
  // Unsupported types: X25519 (not a signature key), secp256k1.
  test::run(dir.path(),
            "openssl genpkey -algorithm X25519 -out x.pem && "
            "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out k1.pem");
  EXPECT_FALSE(Key::from_pem(test::read_file(dir / "x.pem"), k).ok());
  EXPECT_FALSE(Key::from_pem(test::read_file(dir / "k1.pem"), k).ok());
}

TEST(Keys, CanVerifyRules) {
  Key s31, s32, s48, s64;
  ASSERT_TRUE(Key::from_secret(std::string(31, 'x'), s31).ok());
  ASSERT_TRUE(Key::from_secret(std::string(32, 'x'), s32).ok());
  ASSERT_TRUE(Key::from_secret(std::string(48, 'x'), s48).ok());
  ASSERT_TRUE(Key::from_secret(std::string(64, 'x'), s64).ok());
  EXPECT_FALSE(s31.can_verify(Alg::kHS256));
  EXPECT_TRUE(s32.can_verify(Alg::kHS256));
  EXPECT_FALSE(s32.can_verify(Alg::kHS384));
  EXPECT_TRUE(s48.can_verify(Alg::kHS384));
  EXPECT_FALSE(s48.can_verify(Alg::kHS512));
  EXPECT_TRUE(s64.can_verify(Alg::kHS512));
  Key empty;
  EXPECT_FALSE(Key::from_secret("", empty).ok());
  for (int a = 0; a < kAlgCount; ++a) {
    Alg alg = static_cast<Alg>(a);
    EXPECT_EQ(s64.can_verify(alg), is_hmac(alg));
    EXPECT_FALSE(empty.can_verify(alg));
    EXPECT_EQ(pem(pem_keys().ed_pub).can_verify(alg), alg == Alg::kEdDSA);
    EXPECT_EQ(pem(pem_keys().rsa_pub).can_verify(alg), alg <= Alg::kPS512);
    EXPECT_EQ(pem(pem_keys().ec521_pub).can_verify(alg), alg == Alg::kES512);
    EXPECT_EQ(alg_from_name(alg_name(alg)), alg);
  }
}

TEST(Keys, JwkRejects) {
  Key k;
  for (
      std::string_view bad :
      {R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1"})",  // off curve
       R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVE","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})",  // short x
       R"({"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"})",
       R"({"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})",
       R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR"})",
       R"({"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"AAqYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})",  // x not d's
       R"({"kty":"RSA","n":"AQAB"})",
       R"({"kty":"RSA","n":"AQAB","e":"AQAB","e":"AQAB"})",
       R"({"kty":"oct","k":""})",
       R"({"kty":"oct","k":"c2VjcmV0=="})",
       R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow","alg":"RS256"})",
       R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ","use":"enc"})",
       R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ","alg":"none"})",
       R"({"kty":"RSA","n":"AQAB","e":"AQAB","alg":"HS256"})",
       R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","alg":"ES384"})",
       R"({"kty":"dir"})",
       R"({"k":"AA"})",
       R"([])",
       R"({"kty":1})",
       R"({"kty":"oct","k":"AA","kid":5})"}) {
    EXPECT_FALSE(Key::from_jwk(bad, k).ok()) << bad;
  }
}

TEST(Keys, JwksParse) {
  std::string jwks =
      std::string(R"({"keys":[)") + std::string(kRsaJwk) + "," + std::string(kEcJwk) + "," +
      R"({"kty":"oct","kid":"h1","alg":"HS256","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"},)"
      R"({"kty":"RSA","kid":"enc1","use":"enc","n":"AQAB","e":"AQAB"},)"
      R"({"kty":"EC","kid":"bad","crv":"P-256","x":"AA","y":"AA"},)"
      R"({"kty":"oct","kid":"dup","k":"AA","k":"AB"},)"
      R"("not an object",)"
      R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})";
  KeySet set;
  std::vector<std::string> skipped;
  ASSERT_TRUE(KeySet::parse_jwks(jwks, set, skipped).ok());
  EXPECT_EQ(set.keys().size(), 4u);
  ASSERT_EQ(skipped.size(), 4u);
  EXPECT_NE(skipped[0].find("enc1"), std::string::npos);
  EXPECT_NE(skipped[0].find("\"enc\""), std::string::npos);
  ASSERT_NE(set.find("rsa1"), nullptr);
  EXPECT_EQ(set.find("rsa1")->type(), KeyType::kRsa);
  EXPECT_EQ(set.find("h1")->alg(), Alg::kHS256);
  EXPECT_EQ(set.find("ec1")->curve(), Curve::kP256);
  EXPECT_EQ(set.find("RSA1"), nullptr);
  EXPECT_EQ(set.find("enc1"), nullptr);

  for (std::string_view bad : {"", "[]", R"({"keys":{}})", R"({"nokeys":[]})", R"({"keys":[],"keys":[]})"}) {
    EXPECT_FALSE(KeySet::parse_jwks(bad, set, skipped).ok()) << bad;
  }
}

TEST(Keys, Candidates) {
  KeySet set;
  set.add(pem(pem_keys().ec256_pub, "a"));
  set.add(pem(pem_keys().rsa_pub, "b"));
  set.add(pem(pem_keys().rsa_cert));  // no kid
  std::vector<const Key*> out;
  set.candidates("a", Alg::kES256, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]->kid(), "a");
  out.clear();
  set.candidates("a", Alg::kRS256, out);  // kid known, alg unusable: no fallback
  EXPECT_TRUE(out.empty());
  out.clear();
  set.candidates("zzz", Alg::kRS256, out);  // unknown kid: the kid-less key
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0]->kid().empty());
  out.clear();
  set.candidates(std::nullopt, Alg::kRS256, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0]->kid().empty());
  out.clear();
  set.candidates(std::nullopt, Alg::kES256, out);  // no kid-less EC key: all EC keys
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]->kid(), "a");

  KeySet only_kids;
  only_kids.add(pem(pem_keys().ec256_pub, "a"));
  out.clear();
  only_kids.candidates("zzz", Alg::kES256, out);
  EXPECT_TRUE(out.empty());
}

TEST(Keys, PublicJwkExportRoundTrip) {
  const auto& k = pem_keys();
  for (auto [priv_pem, alg] : {std::pair{&k.rsa_priv, Alg::kRS256},
                               {&k.rsa_priv, Alg::kPS512},
                               {&k.ec256_priv, Alg::kES256},
                               {&k.ec384_priv, Alg::kES384},
                               {&k.ec521_priv, Alg::kES512},
                               {&k.ed_priv, Alg::kEdDSA}}) {
    Key priv = pem(*priv_pem, "gw-1");
    std::optional<std::string> jwk = priv.to_public_jwk();
    ASSERT_TRUE(jwk.has_value());
    EXPECT_EQ(jwk->find("\"d\""), std::string::npos) << *jwk;
    EXPECT_NE(jwk->find(R"("kid":"gw-1")"), std::string::npos) << *jwk;
    Key pub;
    ASSERT_TRUE(Key::from_jwk(*jwk, pub).ok()) << *jwk;
    EXPECT_FALSE(pub.has_private());
    std::string token;
    ASSERT_TRUE(sign(alg, priv, R"("typ":"JWT")", R"({"sub":"x"})", token).ok());
    DecodedJwt jwt;
    ASSERT_EQ(decode(token, jwt), JwtError::kNone);
    EXPECT_EQ(jwt.header.kid, "gw-1");
    EXPECT_TRUE(verify(jwt, pub)) << alg_name(alg);
    // A JWKS of exported keys parses back.
    KeySet set;
    std::vector<std::string> skipped;
    ASSERT_TRUE(KeySet::parse_jwks(R"({"keys":[)" + *jwk + "]}", set, skipped).ok());
    EXPECT_EQ(verify_with_keys(jwt, set, AlgSet{alg}), JwtError::kNone);
  }
  Key secret;
  ASSERT_TRUE(Key::from_secret(std::string(32, 'x'), secret).ok());
  EXPECT_EQ(secret.to_public_jwk(), std::nullopt);  // secrets are never exported
}

TEST(Keys, SignRefusals) {
  std::string token;
  Key pub = pem(pem_keys().rsa_pub);
  EXPECT_FALSE(sign(Alg::kRS256, pub, "", "{}", token).ok());  // no private key
  Key priv = pem(pem_keys().rsa_priv);
  EXPECT_FALSE(sign(Alg::kES256, priv, "", "{}", token).ok());                 // wrong family
  EXPECT_FALSE(sign(Alg::kRS256, priv, R"("alg":"none")", "{}", token).ok());  // duplicate alg
  EXPECT_FALSE(sign(Alg::kRS256, priv, R"("typ":)", "{}", token).ok());        // not JSON
  Key kid_key = pem(pem_keys().rsa_priv, "k");
  EXPECT_FALSE(sign(Alg::kRS256, kid_key, R"("kid":"other")", "{}", token).ok());
  EXPECT_TRUE(sign(Alg::kRS256, priv, R"("typ":"JWT","x5t":"abc")", "{}", token).ok());
}

}  // namespace
}  // namespace postern::jose
