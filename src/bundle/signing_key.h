#pragma once
// The keys that sign and verify bundles: Ed25519 (EdDSA) or ECDSA P-256 (ES256), chosen
// from the key itself, through jose (OpenSSL EVP). A key is named by its key id, the
// SHA-256 of its DER SubjectPublicKeyInfo, which is what SIGNATURE records and what
// `postern bundle inspect` prints.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "jose/alg.h"
#include "jose/key.h"

namespace postern::bundle {

struct BundleKey {
  jose::Key key;
  jose::Alg alg = jose::Alg::kEdDSA;  // EdDSA or ES256
  std::string id;                     // sha256 hex of the public key's DER
  std::string source;                 // the file it came from (for messages)
};

// A PEM private key (Ed25519 or EC P-256) to sign with.
Status load_signing_key(const std::filesystem::path& file, BundleKey& out);

// PEM public keys or certificates to verify with. A private key is refused (the gateway
// needs only the public half: `openssl pkey -in key.pem -pubout`).
Status load_trusted_keys(const std::vector<std::filesystem::path>& files, std::vector<BundleKey>& out);

// The same from PEM text (tests, a control plane that holds keys in memory).
Status bundle_key_from_pem(std::string_view pem, bool want_private, BundleKey& out);

}  // namespace postern::bundle
