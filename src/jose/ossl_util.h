#pragma once
// Internal: owning handles for OpenSSL objects and shared EVP helpers.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "jose/alg.h"
#include "jose/key.h"

namespace postern::jose::detail {

template <auto Fn>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Fn(p);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>>;

// The digest of an alg (null for EdDSA, which hashes internally). Fetched once.
const EVP_MD* alg_digest(Alg alg);
// Hash output bytes for HS* (minimum secret length) / ES* field size in bytes.
size_t hmac_min_secret(Alg alg);
size_t ec_field_bytes(Curve c);
Curve alg_curve(Alg alg);  // ES* -> its curve, else kNone

// Appends big-endian bytes of `bn`, left-padded with zeros to `width` (0: minimal).
void append_bn(const BIGNUM* bn, size_t width, std::string& out);

}  // namespace postern::jose::detail
