#pragma once
// SIGNATURE: the signature over the exact MANIFEST bytes, as three lines of text:
//
//   alg EdDSA                      (or ES256: raw R||S, as in JWS)
//   key <sha256 hex of the signer's public key DER>
//   signature <base64url, no padding>
//
// The algorithm that counts is the trusted key's, never the file's: `alg` must agree with
// it, so a bundle cannot choose how it is checked.
#include <string>
#include <string_view>
#include <vector>

#include "bundle/signing_key.h"
#include "core/status.h"

namespace postern::bundle {

struct SignatureBlock {
  std::string alg;        // "EdDSA" or "ES256"
  std::string key_id;     // 64 lower-case hex
  std::string signature;  // raw bytes
};

std::string render_signature(const SignatureBlock& s);
// Strict: the three lines in order, canonical base64url, nothing else.
Status parse_signature(std::string_view text, SignatureBlock& out);

// Signs `manifest` with `key` and returns the SIGNATURE file.
Status sign_manifest(const BundleKey& key, std::string_view manifest, std::string& signature_file);

// Checks SIGNATURE against `manifest` with the trusted key whose id it names. Fails with a
// message that tells a foreign signer (no trusted key has that id) from a bad signature
// (the manifest or the signature changed after signing). On success `signer` is that key.
Status check_signature(std::string_view signature_file, std::string_view manifest,
                       const std::vector<BundleKey>& trusted, const BundleKey*& signer);

}  // namespace postern::bundle
