#pragma once
// Fresh bundle signing keys for unit tests (bundle/, controlplane/), made in memory.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <string>
#include <vector>

#include "bundle/signing_key.h"

namespace postern::bundle {

// A fresh PEM private key: "ED25519" or "EC" (P-256).
inline std::string new_private_pem(const char* type) {
  EVP_PKEY* pkey = std::string(type) == "EC" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                                             : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  return pem;
}

inline std::string public_pem_of(const std::string& private_pem) {
  BIO* in = BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(out, pkey);
  char* data = nullptr;
  long len = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(out);
  BIO_free(in);
  EVP_PKEY_free(pkey);
  return pem;
}

struct KeyPair {
  BundleKey signer;
  std::vector<BundleKey> trusted;
};

inline KeyPair key_pair(const char* type) {
  std::string pem = new_private_pem(type);
  KeyPair kp;
  EXPECT_TRUE(bundle_key_from_pem(pem, true, kp.signer).ok());
  BundleKey pub;
  EXPECT_TRUE(bundle_key_from_pem(public_pem_of(pem), false, pub).ok());
  kp.trusted.push_back(pub);
  return kp;
}

}  // namespace postern::bundle
