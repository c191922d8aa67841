// Every known JWT attack, each as a test that fails if the token is accepted.
#include <gtest/gtest.h>

#include "core/strings.h"
#include "jose/jwt.h"
#include "jose/key.h"
#include "jose/key_set.h"
#include "jose/signer.h"
#include "jose/verifier.h"
#include "test_util.h"

namespace postern::jose {
namespace {

using test::b64;
using test::make_token;
using test::pem_keys;

constexpr std::string_view kClaims = R"({"iss":"https://idp.example","sub":"alice","exp":4102444800})";

Key pem(const std::string& text, std::string_view kid = {}) {
  Key k;
  Status st = Key::from_pem(text, k, kid);
  EXPECT_TRUE(st.ok()) << st.message();
  return k;
}

std::string signed_token(Alg alg, const Key& key, std::string_view payload = kClaims, std::string_view extra = "") {
  std::string token;
  Status st = sign(alg, key, extra, payload, token);
  EXPECT_TRUE(st.ok()) << st.message();
  return token;
}

JwtError decode_err(std::string_view token) {
  DecodedJwt jwt;
  return decode(token, jwt);
}

// decode + verify_with_keys, the way the gateway will run them.
JwtError accept(std::string_view token, const KeySet& keys, AlgSet allowed = AlgSet::all()) {
  DecodedJwt jwt;
  if (JwtError e = decode(token, jwt); e != JwtError::kNone) return e;
  return verify_with_keys(jwt, keys, allowed);
}

KeySet set_of(std::initializer_list<Key> keys) {
  KeySet s;
  for (const Key& k : keys) s.add(k);
  return s;
}

TEST(Attacks, AlgNoneInAnyCase) {
  for (std::string_view alg : {"none", "None", "NONE", "nOnE"}) {
    std::string header = std::string(R"({"alg":")") + std::string(alg) + "\"}";
    // With an empty signature (the classic form) and with some bytes as signature.
    EXPECT_NE(decode_err(b64(header) + "." + b64(kClaims) + "."), JwtError::kNone) << alg;
    EXPECT_EQ(decode_err(make_token(header, kClaims, "x")), JwtError::kAlgNone) << alg;
  }
  EXPECT_FALSE(alg_from_name("none").has_value());
}

TEST(Attacks, UnknownOrMissingAlg) {
  EXPECT_EQ(decode_err(make_token(R"({"alg":"rs256"})", kClaims, "x")), JwtError::kUnsupportedAlg);
  EXPECT_EQ(decode_err(make_token(R"({"alg":"HS1"})", kClaims, "x")), JwtError::kUnsupportedAlg);
  EXPECT_EQ(decode_err(make_token(R"({"typ":"JWT"})", kClaims, "x")), JwtError::kUnsupportedAlg);
  EXPECT_EQ(decode_err(make_token(R"({"alg":["RS256"]})", kClaims, "x")), JwtError::kUnsupportedAlg);
}

TEST(Attacks, HmacWithRsaPublicKeyAsSecret) {
  // The attacker signs HS256 using the issuer's public key PEM text as the HMAC secret.
  const std::string& pub_pem = pem_keys().rsa_pub;
  Key attacker_secret;
  ASSERT_TRUE(Key::from_secret(pub_pem, attacker_secret).ok());
  std::string token = signed_token(Alg::kHS256, attacker_secret);

  Key rsa = pem(pub_pem);
  EXPECT_FALSE(rsa.can_verify(Alg::kHS256));
  DecodedJwt jwt;
  ASSERT_EQ(decode(token, jwt), JwtError::kNone);
  EXPECT_FALSE(verify(jwt, rsa));
  EXPECT_EQ(verify_with_keys(jwt, set_of({rsa}), AlgSet::all()), JwtError::kKeyAlgMismatch);
  EXPECT_EQ(verify_with_keys(jwt, set_of({rsa}), AlgSet{Alg::kRS256}), JwtError::kAlgNotAllowed);
  // The same via a certificate and via a JWK made from the public key.
  EXPECT_FALSE(verify(jwt, pem(pem_keys().rsa_cert)));
  Key from_jwk;
  ASSERT_TRUE(Key::from_jwk(*rsa.to_public_jwk(), from_jwk).ok());
  EXPECT_FALSE(verify(jwt, from_jwk));
}

TEST(Attacks, RsaAlgorithmConfusion) {
  Key priv = pem(pem_keys().rsa_priv);
  Key pub = pem(pem_keys().rsa_pub);
  std::string token = signed_token(Alg::kRS256, priv);
  DecodedJwt jwt;
  ASSERT_EQ(decode(token, jwt), JwtError::kNone);
  ASSERT_TRUE(verify(jwt, pub));
  // The same signature presented as PS256 / RS512 must not verify.
  EXPECT_FALSE(verify_signature(Alg::kPS256, pub, jwt.signing_input, jwt.signature));
  EXPECT_FALSE(verify_signature(Alg::kRS512, pub, jwt.signing_input, jwt.signature));
  // A JWK that declares alg RS256 refuses PS256 even with a genuine PS256 signature.
  std::string jwk = *pub.to_public_jwk();
  jwk.insert(jwk.size() - 1, R"(,"alg":"RS256")");
  Key pinned;
  ASSERT_TRUE(Key::from_jwk(jwk, pinned).ok());
  std::string ps = signed_token(Alg::kPS256, priv);
  ASSERT_EQ(decode(ps, jwt), JwtError::kNone);
  EXPECT_TRUE(verify(jwt, pub));
  EXPECT_FALSE(verify(jwt, pinned));
}

TEST(Attacks, WeakRsaKeyRefused) {
  Key small = pem(pem_keys().rsa1024_pub);
  EXPECT_EQ(small.bits(), 1024);
  for (Alg a : {Alg::kRS256, Alg::kPS256, Alg::kRS512}) EXPECT_FALSE(small.can_verify(a));
}

TEST(Attacks, WrongCurve) {
  Key p256 = pem(pem_keys().ec256_priv);
  Key p384 = pem(pem_keys().ec384_pub);
  std::string token = signed_token(Alg::kES256, p256);
  DecodedJwt jwt;
  ASSERT_EQ(decode(token, jwt), JwtError::kNone);
  EXPECT_TRUE(verify(jwt, p256));
  EXPECT_FALSE(verify(jwt, p384));
  EXPECT_FALSE(p256.can_verify(Alg::kES384));
  EXPECT_FALSE(p256.can_verify(Alg::kES512));
  EXPECT_FALSE(p256.can_verify(Alg::kRS256));
  // Same signature, header claiming ES384: the P-256 key refuses the alg.
  std::string relabeled = make_token(R"({"alg":"ES384"})", kClaims, jwt.signature);
  ASSERT_EQ(decode(relabeled, jwt), JwtError::kNone);
  EXPECT_FALSE(verify(jwt, p256));
}

TEST(Attacks, EcdsaSignatureLengths) {
  Key key = pem(pem_keys().ec256_priv);
  std::string token = signed_token(Alg::kES256, key);
  DecodedJwt jwt;
  ASSERT_EQ(decode(token, jwt), JwtError::kNone);
  ASSERT_TRUE(verify(jwt, key));
  const std::string& sig = jwt.signature;
  std::string_view in = jwt.signing_input;
  EXPECT_FALSE(verify_signature(Alg::kES256, key, in, sig.substr(0, 63)));  // truncated
  EXPECT_FALSE(verify_signature(Alg::kES256, key, in, sig + '\0'));         // extra byte
  EXPECT_FALSE(verify_signature(Alg::kES256, key, in, std::string(1, '\0') + sig));
  EXPECT_FALSE(verify_signature(Alg::kES256, key, in, sig + sig));              // doubled
  EXPECT_FALSE(verify_signature(Alg::kES256, key, in, test::raw_to_der(sig)));  // DER form
  EXPECT_FALSE(verify_signature(Alg::kES256, key, in, std::string(64, '\0')));  // r = s = 0
  EXPECT_FALSE(verify_signature(Alg::kES256, key, in, ""));
}

TEST(Attacks, OtherSignatureLengths) {
  Key rsa = pem(pem_keys().rsa_priv);
  Key ed = pem(pem_keys().ed_priv);
  Key hmac;
  ASSERT_TRUE(Key::from_secret(std::string(32, 'k'), hmac).ok());
  for (auto [alg, key] : {std::pair{Alg::kRS256, &rsa}, {Alg::kEdDSA, &ed}, {Alg::kHS256, &hmac}}) {
    std::string token = signed_token(alg, *key);
    DecodedJwt jwt;
    ASSERT_EQ(decode(token, jwt), JwtError::kNone);
    ASSERT_TRUE(verify(jwt, *key));
    std::string_view in = jwt.signing_input;
    EXPECT_FALSE(verify_signature(alg, *key, in, jwt.signature.substr(0, jwt.signature.size() - 1)));
    EXPECT_FALSE(verify_signature(alg, *key, in, jwt.signature + "x"));
    EXPECT_FALSE(verify_signature(alg, *key, in, ""));
  }
}

TEST(Attacks, TamperedPayloadAndHeader) {
  Key key = pem(pem_keys().rsa_priv);
  KeySet keys = set_of({pem(pem_keys().rsa_pub)});
  std::string token = signed_token(Alg::kRS256, key);
  ASSERT_EQ(accept(token, keys), JwtError::kNone);
  size_t dot1 = token.find('.'), dot2 = token.rfind('.');
  std::string forged_payload = token.substr(0, dot1 + 1) +
                               b64(R"({"iss":"https://idp.example","sub":"admin","exp":4102444800})") +
                               token.substr(dot2);
  EXPECT_EQ(accept(forged_payload, keys), JwtError::kBadSignature);
  std::string forged_header = b64(R"({"alg":"RS256","typ":"JWT"})") + token.substr(dot1);
  EXPECT_EQ(accept(forged_header, keys), JwtError::kBadSignature);
  std::string flipped = token;
  flipped[dot1 + 5] = flipped[dot1 + 5] == 'A' ? 'B' : 'A';
  EXPECT_NE(accept(flipped, keys), JwtError::kNone);
}

TEST(Attacks, KidIsOpaque) {
  Key key = pem(pem_keys().ec256_priv);
  Key pub = pem(pem_keys().ec256_pub, "k1");
  KeySet keys = set_of({pub});
  for (const std::string& kid :
       {std::string("../../etc/passwd"), std::string("' OR '1'='1' --"), std::string("k1\0", 3), std::string("K1"),
        std::string(" k1"), std::string("%6b1"), std::string("/dev/null"), std::string("k1; DROP TABLE keys")}) {
    std::string extra = R"("kid":")";
    append_json_escaped(extra, kid);
    extra += '"';
    std::string token = signed_token(Alg::kES256, key, kClaims, extra);
    DecodedJwt jwt;
    ASSERT_EQ(decode(token, jwt), JwtError::kNone) << kid;
    EXPECT_EQ(jwt.header.kid, kid);  // kept byte for byte
    EXPECT_EQ(verify_with_keys(jwt, keys, AlgSet::all()), JwtError::kUnknownKid) << kid;
  }
  std::string good = signed_token(Alg::kES256, key, kClaims, R"("kid":"k1")");
  EXPECT_EQ(accept(good, keys), JwtError::kNone);
  // Over-long kid.
  std::string long_kid = R"("kid":")" + std::string(300, 'a') + "\"";
  EXPECT_EQ(decode_err(signed_token(Alg::kES256, key, kClaims, long_kid)), JwtError::kMalformed);
  EXPECT_EQ(decode_err(make_token(R"({"alg":"ES256","kid":7})", kClaims, "x")), JwtError::kMalformed);
}

TEST(Attacks, CritHeaderRejected) {
  for (std::string_view h : {R"({"alg":"HS256","crit":["exp"],"exp":1})", R"({"alg":"HS256","crit":[]})",
                             R"({"alg":"HS256","crit":["b64"],"b64":false})", R"({"alg":"HS256","crit":"x"})"}) {
    EXPECT_EQ(decode_err(make_token(h, kClaims, "x")), JwtError::kCritUnsupported) << h;
  }
}

TEST(Attacks, EmbeddedKeyHeadersIgnored) {
  // The attacker embeds their own key (jwk / x5c / jku / x5u) and signs with it.
  Key ours_priv = pem(pem_keys().rsa_priv);
  KeySet ours = set_of({pem(pem_keys().rsa_pub)});
  Key attacker = pem(pem_keys().ec256_priv);
  std::string attacker_jwk = *attacker.to_public_jwk();
  for (const std::string& extra :
       std::vector<std::string>{R"("jwk":)" + attacker_jwk, R"("jku":"https://evil.example/jwks.json")",
                                R"("x5u":"https://evil.example/cert.pem")",
                                R"("x5c":["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"])"}) {
    std::string token = signed_token(Alg::kES256, attacker, kClaims, extra);
    EXPECT_NE(accept(token, ours), JwtError::kNone) << extra;
    // And a genuine token carrying the same header still verifies: the header is inert.
    std::string genuine = signed_token(Alg::kRS256, ours_priv, kClaims, extra);
    EXPECT_EQ(accept(genuine, ours), JwtError::kNone) << extra;
  }
}

TEST(Attacks, SizeLimit) {
  Key key;
  ASSERT_TRUE(Key::from_secret(std::string(32, 's'), key).ok());
  std::string big_payload = R"({"exp":4102444800,"pad":")" + std::string(13000, 'a') + "\"}";
  std::string token = signed_token(Alg::kHS256, key, big_payload);
  ASSERT_GT(token.size(), 16384u);
  EXPECT_EQ(decode_err(token), JwtError::kTooLarge);
  DecodeLimits roomy;
  roomy.max_token_bytes = 64 * 1024;
  DecodedJwt jwt;
  EXPECT_EQ(decode(token, roomy, jwt), JwtError::kNone);
  DecodeLimits tiny;
  tiny.max_token_bytes = 100;
  std::string small = signed_token(Alg::kHS256, key);
  EXPECT_EQ(decode(small, tiny, jwt), JwtError::kTooLarge);
  EXPECT_EQ(decode_err(std::string(1 << 20, 'A')), JwtError::kTooLarge);
}

TEST(Attacks, BadBase64Url) {
  Key key;
  ASSERT_TRUE(Key::from_secret(std::string(32, 's'), key).ok());
  std::string token = signed_token(Alg::kHS256, key);
  ASSERT_EQ(decode_err(token), JwtError::kNone);
  size_t dot1 = token.find('.'), dot2 = token.rfind('.');
  for (size_t at : {dot1, dot2, token.size()}) {
    for (std::string_view junk : {"=", "==", "+", "/", " ", "\n", "%3D", "\xc3\xa9"}) {
      std::string bad = token;
      bad.insert(at, junk);
      EXPECT_EQ(decode_err(bad), JwtError::kMalformed) << junk << " at " << at;
    }
  }
  // Standard-alphabet signature (same bytes, '+' and '/' instead of '-' and '_').
  std::string std_alpha = token;
  for (size_t i = dot2; i < std_alpha.size(); ++i) {
    if (std_alpha[i] == '-') std_alpha[i] = '+';
    if (std_alpha[i] == '_') std_alpha[i] = '/';
  }
  if (std_alpha != token) {
    EXPECT_EQ(decode_err(std_alpha), JwtError::kMalformed);
  }
  // Non-canonical trailing bits: "e30" is "{}", "e31" decodes to the same byte with junk bits.
  EXPECT_EQ(decode_err(b64(R"({"alg":"HS256"})") + ".e31.c2ln"), JwtError::kMalformed);
}

TEST(Attacks, SegmentCount) {
  std::string h = b64(R"({"alg":"HS256"})"), p = b64(kClaims), s = b64("sig");
  EXPECT_EQ(decode_err(h + "." + p), JwtError::kMalformed);
  EXPECT_EQ(decode_err(h + "." + p + "." + s + "." + s), JwtError::kMalformed);
  EXPECT_EQ(decode_err(h + "." + p + "." + s + "." + s + "." + s), JwtError::kMalformed);  // JWE shape
  EXPECT_EQ(decode_err(h), JwtError::kMalformed);
  EXPECT_EQ(decode_err(""), JwtError::kMalformed);
  EXPECT_EQ(decode_err(".."), JwtError::kMalformed);
  EXPECT_EQ(decode_err(h + ".." + s), JwtError::kMalformed);
  EXPECT_EQ(decode_err("." + p + "." + s), JwtError::kMalformed);
  EXPECT_EQ(decode_err(h + "." + p + "." + s), JwtError::kNone);
}

TEST(Attacks, DuplicateMembers) {
  const std::string h = R"({"alg":"HS256"})";
  EXPECT_EQ(decode_err(make_token(h, R"({"exp":1,"sub":"a","exp":4102444800})", "x")), JwtError::kDuplicateMember);
  EXPECT_EQ(decode_err(make_token(h, R"({"exp":1,"\u0065xp":4102444800})", "x")), JwtError::kDuplicateMember);
  EXPECT_EQ(decode_err(make_token(R"({"alg":"none","alg":"HS256"})", kClaims, "x")), JwtError::kDuplicateMember);
  EXPECT_EQ(decode_err(make_token(R"({"alg":"HS256","kid":"a","kid":"b"})", kClaims, "x")), JwtError::kDuplicateMember);
  EXPECT_EQ(decode_err(make_token(h, R"({"application":{"id":1,"id":2}})", "x")), JwtError::kDuplicateMember);
  EXPECT_EQ(decode_err(make_token(h, R"({"subscribedAPIs":[{"name":"a","name":"b"}]})", "x")),
            JwtError::kDuplicateMember);
  EXPECT_EQ(decode_err(make_token(h, R"({"x":{"y":[{"z":1,"z":1}]}})", "x")), JwtError::kDuplicateMember);
}

TEST(Attacks, NonObjectJson) {
  const std::string h = R"({"alg":"HS256"})";
  for (std::string_view p : {"[]", R"("exp")", "123", "null", "true", "{", R"({"a":1}x)", R"({"a":1} {"b":2})", ""}) {
    EXPECT_EQ(decode_err(b64(h) + "." + (p.empty() ? "" : b64(p)) + ".eA"), JwtError::kMalformed) << p;
  }
  EXPECT_EQ(decode_err(make_token("[]", kClaims, "x")), JwtError::kMalformed);
  std::string deep = std::string(100, '[') + std::string(100, ']');
  EXPECT_EQ(decode_err(make_token(h, R"({"a":)" + deep + "}", "x")), JwtError::kMalformed);
}

TEST(Attacks, ClaimTypes) {
  const std::string h = R"({"alg":"HS256"})";
  for (std::string_view p :
       {R"({"exp":"4102444800"})", R"({"exp":null})", R"({"exp":[1]})", R"({"exp":-1})", R"({"exp":1e300})",
        R"({"exp":18446744073709551615})", R"({"nbf":"0"})", R"({"iat":true})", R"({"iss":1})", R"({"sub":{}})",
        R"({"aud":1})", R"({"aud":["a",1]})", R"({"scope":["a"]})", R"({"scp":[1]})", R"({"application":"x"})",
        R"({"subscribedAPIs":{}})", R"({"allowedAPIs":[1]})"}) {
    EXPECT_EQ(decode_err(make_token(h, p, "x")), JwtError::kMalformed) << p;
  }
}

}  // namespace
}  // namespace postern::jose
