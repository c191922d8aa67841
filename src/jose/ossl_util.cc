#include "jose/ossl_util.h"

namespace postern::jose::detail {

const EVP_MD* alg_digest(Alg alg) {
  // Explicit fetches once per process, so no per-call implicit fetch from the provider.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  static EVP_MD* const sha384 = EVP_MD_fetch(nullptr, "SHA2-384", nullptr);
  static EVP_MD* const sha512 = EVP_MD_fetch(nullptr, "SHA2-512", nullptr);
  switch (alg) {
    case Alg::kRS256:
    case Alg::kPS256:
    case Alg::kES256:
    case Alg::kHS256: return sha256;
    case Alg::kRS384:
    case Alg::kPS384:
    case Alg::kES384:
    case Alg::kHS384: return sha384;
    case Alg::kRS512:
    case Alg::kPS512:
    case Alg::kES512:
    case Alg::kHS512: return sha512;
    case Alg::kEdDSA: return nullptr;
  }
  return nullptr;
}

size_t hmac_min_secret(Alg alg) {
  switch (alg) {
    case Alg::kHS256: return 32;
    case Alg::kHS384: return 48;
    case Alg::kHS512: return 64;
    default: return 0;
  }
}

size_t ec_field_bytes(Curve c) {
  switch (c) {
    case Curve::kP256: return 32;
    case Curve::kP384: return 48;
    case Curve::kP521: return 66;
    default: return 0;
  }
}

Curve alg_curve(Alg alg) {
  switch (alg) {
    case Alg::kES256: return Curve::kP256;
    case Alg::kES384: return Curve::kP384;
    case Alg::kES512: return Curve::kP521;
    default: return Curve::kNone;
  }
}

void append_bn(const BIGNUM* bn, size_t width, std::string& out) {
  size_t n = width ? width : static_cast<size_t>(BN_num_bytes(bn));
  size_t at = out.size();
  out.resize(at + n);
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data() + at), static_cast<int>(n));
}

}  // namespace postern::jose::detail
