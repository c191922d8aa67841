#pragma once
// The keys of one issuer (a JWKS, or keys loaded from PEM files), looked up by kid.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "jose/key.h"

namespace postern::jose {

class KeySet {
 public:
  // At most this many keys are taken from one JWKS; the rest are skipped with a reason.
  static constexpr size_t kMaxKeys = 64;

  // Parses a JWKS document ({"keys":[...]}, RFC 7517 §5). Fails only when the document
  // itself is unusable (not a JSON object, duplicate members, no "keys" array). Each
  // unusable key (bad JWK, `use` "enc", unsupported kty/crv/alg) is skipped and described
  // in `skipped` ("key 2 (kid \"a\"): ..."), so one odd key never hides the good ones.
  static Status parse_jwks(std::string_view json, KeySet& out, std::vector<std::string>& skipped);

  void add(Key key) { keys_.push_back(std::move(key)); }
  const std::vector<Key>& keys() const { return keys_; }
  bool empty() const { return keys_.empty(); }

  // The first key whose kid equals `kid` exactly (kids are opaque: no normalization,
  // no path or pattern meaning), or nullptr.
  const Key* find(std::string_view kid) const;

  // The keys to try for a token, in order, appended to `out`:
  //  - token with a kid: the keys with exactly that kid; if there are none, the keys that
  //    have no kid (a PEM-configured key accepts any kid, as WSO2's certificate alias does);
  //  - token without a kid: the keys that have no kid, or, if there are none, every key.
  // Only keys that can_verify(alg) are returned. Empty means "unknown kid".
  void candidates(std::optional<std::string_view> kid, Alg alg, std::vector<const Key*>& out) const;

 private:
  std::vector<Key> keys_;
};

}  // namespace postern::jose
