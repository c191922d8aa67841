#pragma once
// Internal: access to the parsed key material for the verifier and signer.
#include <openssl/evp.h>

#include <simdjson.h>

#include <memory>
#include <string>
#include <utility>

#include "jose/key.h"

namespace postern::jose {

struct Key::Impl {
  KeyType type = KeyType::kNone;
  Curve curve = Curve::kNone;
  int bits = 0;
  bool has_private = false;
  std::string kid;
  std::optional<Alg> alg;
  EVP_PKEY* pkey = nullptr;  // owned; null for oct
  std::string secret;        // oct only

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl();
};

struct KeyAccess {
  static const Key::Impl* impl(const Key& k) { return k.impl_.get(); }
  static void set(Key& k, std::shared_ptr<const Key::Impl> impl) { k.impl_ = std::move(impl); }
};

namespace detail {
// Builds a Key from an already-parsed JWK object (used by KeySet::parse_jwks).
Status key_from_jwk_object(simdjson::dom::object jwk, Key& out);
}  // namespace detail

}  // namespace postern::jose
