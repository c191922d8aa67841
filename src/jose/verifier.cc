#include "jose/verifier.h"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include "jose/key_internal.h"
#include "jose/ossl_util.h"

namespace postern::jose {
namespace detail {

// Sets the RSA padding an RS*/PS* alg requires on a sign/verify context.
bool set_rsa_padding(EVP_PKEY_CTX* pctx, Alg alg) {
  if (alg <= Alg::kRS512) return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, alg_digest(alg)) == 1;
}

bool hmac(Alg alg, const std::string& secret, std::string_view input, unsigned char* mac, unsigned int& len) {
  return HMAC(alg_digest(alg), secret.data(), static_cast<int>(secret.size()),
              reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len) != nullptr;
}

}  // namespace detail

namespace {

// JOSE R||S (RFC 7518 §3.4) to the DER ECDSA-Sig-Value OpenSSL verifies.
bool raw_ecdsa_to_der(std::string_view raw, std::string& der) {
  size_t half = raw.size() / 2;
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(p, static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(p + half, static_cast<int>(half), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return false;
  }
  int len = i2d_ECDSA_SIG(sig, nullptr);
  bool ok = len > 0;
  if (ok) {
    der.resize(static_cast<size_t>(len));
    auto* out = reinterpret_cast<unsigned char*>(der.data());
    ok = i2d_ECDSA_SIG(sig, &out) == len;
  }
  ECDSA_SIG_free(sig);
  return ok;
}

}  // namespace

bool verify_signature(Alg alg, const Key& key, std::string_view signing_input, std::string_view signature) {
  if (!key.can_verify(alg)) return false;
  const Key::Impl* k = KeyAccess::impl(key);
  if (k->type == KeyType::kOct) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    return detail::hmac(alg, k->secret, signing_input, mac, len) && signature.size() == len &&
           CRYPTO_memcmp(mac, signature.data(), len) == 0;
  }
  std::string der;
  std::string_view sig = signature;
  switch (k->type) {
    case KeyType::kEc:
      if (signature.size() != 2 * detail::ec_field_bytes(k->curve) || !raw_ecdsa_to_der(signature, der)) {
        return false;
      }
      sig = der;
      break;
    case KeyType::kRsa:
      if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(k->pkey))) return false;
      break;
    default:
      if (signature.size() != 64) return false;
      break;
  }
  detail::MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, detail::alg_digest(alg), nullptr, k->pkey) != 1) {
    return false;
  }
  if (k->type == KeyType::kRsa && !detail::set_rsa_padding(pctx, alg)) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
}

bool verify(const DecodedJwt& jwt, const Key& key) {
  return verify_signature(jwt.header.alg, key, jwt.signing_input, jwt.signature);
}

JwtError verify_with_keys(const DecodedJwt& jwt, const KeySet& keys, AlgSet allowed) {
  if (!allowed.contains(jwt.header.alg)) return JwtError::kAlgNotAllowed;
  std::vector<const Key*> candidates;
  std::optional<std::string_view> kid;
  if (jwt.header.kid) kid = *jwt.header.kid;
  keys.candidates(kid, jwt.header.alg, candidates);
  if (candidates.empty()) {
    bool kid_known = kid ? keys.find(*kid) != nullptr : !keys.empty();
    return kid_known ? JwtError::kKeyAlgMismatch : JwtError::kUnknownKid;
  }
  for (const Key* k : candidates) {
    if (verify(jwt, *k)) return JwtError::kNone;
  }
  return JwtError::kBadSignature;
}

}  // namespace postern::jose
