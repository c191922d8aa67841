// Published test vectors: RFC 7515 Appendix A.1-A.4 and RFC 8037 Appendix A.4/A.5,
// copied exactly from the RFCs (line breaks removed).
#include <gtest/gtest.h>

#include <ctime>

#include "jose/claims.h"
#include "jose/jwt.h"
#include "jose/key.h"
#include "jose/signer.h"
#include "jose/verifier.h"
#include "test_util.h"

namespace postern::jose {
namespace {

using test::b64;
using test::unb64;

// RFC 7515 A.1-A.3 share this payload: {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}
constexpr std::string_view kPayload =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

constexpr std::string_view kA1Token =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view kA1Jwk =
    R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})";

constexpr std::string_view kA2Token =
    "eyJhbGciOiJSUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_"
    "O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_"
    "nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-"
    "eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
constexpr std::string_view kA2Jwk =
    R"({"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB"})";

constexpr std::string_view kA3Token =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
constexpr std::string_view kA3Jwk =
    R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"})";

// A.4: ES512 over the non-JSON payload "Payload" (a JWS, not a JWT).
constexpr std::string_view kA4Token =
    "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA."
    "AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_"
    "7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn";
constexpr std::string_view kA4Jwk =
    R"({"kty":"EC","crv":"P-521","x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk","y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2","d":"AY5pb7A0UFiB3RELSD64fTLOSV_jazdF7fLYyuTw8lOfRhWg6Y6rUrPAxerEzgdRhajnu0ferB0d53vM9mE15j2C"})";

// RFC 8037 A.1 key, A.4 JWS ("Example of Ed25519 signing").
constexpr std::string_view kEdJwk =
    R"({"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";
constexpr std::string_view kEdToken =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

Key jwk(std::string_view json) {
  Key k;
  Status st = Key::from_jwk(json, k);
  EXPECT_TRUE(st.ok()) << st.message();
  return k;
}

// Decodes, verifies and checks the shared A.1-A.3 claims.
void check_jwt_vector(std::string_view token, const Key& key, Alg alg) {
  DecodedJwt jwt;
  ASSERT_EQ(decode(token, jwt), JwtError::kNone);
  EXPECT_EQ(jwt.header.alg, alg);
  EXPECT_TRUE(verify(jwt, key));
  EXPECT_EQ(jwt.claims.payload_json, unb64(kPayload));
  EXPECT_EQ(jwt.claims.iss, "joe");
  EXPECT_EQ(jwt.claims.exp, 1300819380);
  EXPECT_EQ(jwt.claims.claim_as_string("http://example.com/is_root"), "true");
  EXPECT_EQ(jwt.signing_input, token.substr(0, token.rfind('.')));

  ClaimPolicy policy;
  policy.issuer = "joe";
  EXPECT_EQ(validate_claims(jwt.claims, policy, std::time(nullptr)), JwtError::kExpired);
  EXPECT_EQ(validate_claims(jwt.claims, policy, 1300819000), JwtError::kNone);

  // One flipped signature bit fails.
  std::string bad = jwt.signature;
  bad[bad.size() / 2] ^= 1;
  EXPECT_FALSE(verify_signature(alg, key, jwt.signing_input, bad));
}

TEST(RfcVectors, Rfc7515A1HS256) {
  Key key = jwk(kA1Jwk);
  check_jwt_vector(kA1Token, key, Alg::kHS256);
  // HMAC is deterministic: signing the same input reproduces the RFC's signature.
  std::string sig;
  ASSERT_TRUE(sign_signature(Alg::kHS256, key, kA1Token.substr(0, kA1Token.rfind('.')), sig).ok());
  EXPECT_EQ(b64(sig), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
}

TEST(RfcVectors, Rfc7515A2RS256) { check_jwt_vector(kA2Token, jwk(kA2Jwk), Alg::kRS256); }

TEST(RfcVectors, Rfc7515A3ES256) {
  Key key = jwk(kA3Jwk);
  check_jwt_vector(kA3Token, key, Alg::kES256);
  // The A.3 private key signs (ECDSA is randomized: check our signature verifies).
  std::string token;
  ASSERT_TRUE(sign(Alg::kES256, key, "", R"({"iss":"joe"})", token).ok());
  DecodedJwt jwt;
  ASSERT_EQ(decode(token, jwt), JwtError::kNone);
  EXPECT_EQ(jwt.signature.size(), 64u);
  EXPECT_TRUE(verify(jwt, key));
}

TEST(RfcVectors, Rfc7515A4ES512) {
  Key key = jwk(kA4Jwk);
  EXPECT_EQ(key.curve(), Curve::kP521);
  // "Payload" is not a claims set: decode() refuses it as a JWT...
  DecodedJwt jwt;
  EXPECT_EQ(decode(kA4Token, jwt), JwtError::kMalformed);
  // ...but the JWS signature verifies.
  std::string_view input = kA4Token.substr(0, kA4Token.rfind('.'));
  std::string sig = unb64(kA4Token.substr(kA4Token.rfind('.') + 1));
  EXPECT_EQ(sig.size(), 132u);
  EXPECT_TRUE(verify_signature(Alg::kES512, key, input, sig));
  EXPECT_FALSE(verify_signature(Alg::kES512, key, "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZB", sig));
}

TEST(RfcVectors, Rfc8037Ed25519) {
  Key key = jwk(kEdJwk);
  EXPECT_EQ(key.type(), KeyType::kOkp);
  EXPECT_TRUE(key.has_private());
  std::string_view input = kEdToken.substr(0, kEdToken.rfind('.'));
  std::string sig = unb64(kEdToken.substr(kEdToken.rfind('.') + 1));
  EXPECT_TRUE(verify_signature(Alg::kEdDSA, key, input, sig));
  // Public-only key from A.2.
  Key pub = jwk(R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
  EXPECT_TRUE(verify_signature(Alg::kEdDSA, pub, input, sig));
  EXPECT_FALSE(pub.can_sign(Alg::kEdDSA));
  // Ed25519 is deterministic: sign() reproduces the RFC's JWS byte for byte.
  std::string token;
  ASSERT_TRUE(sign(Alg::kEdDSA, key, "", "Example of Ed25519 signing", token).ok());
  EXPECT_EQ(token, kEdToken);
  EXPECT_EQ(
      pub.to_public_jwk(),
      R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"sig","alg":"EdDSA"})");
}

}  // namespace
}  // namespace postern::jose
