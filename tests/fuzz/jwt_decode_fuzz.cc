// libFuzzer target for the JOSE front door (src/jose): the JWT decoder, JWK and JWKS
// parsing, and strict base64url, fed arbitrary bytes.
//
// Besides memory errors (ASan/UBSan) it checks contracts:
//  - base64url is canonical: a decoded input re-encodes to exactly the input;
//  - a decoded token's signing input is the token up to the last '.', and the token never
//    exceeds the size limit;
//  - alg "none" never decodes; a decoded header alg always has a name that maps back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "jose/base64url.h"
#include "jose/jwt.h"
#include "jose/key.h"
#include "jose/key_set.h"
#include "jose/verifier.h"

namespace {

using namespace postern::jose;

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  std::string bytes;
  if (base64url_decode(in, bytes)) check(base64url_encode(bytes) == in);

  DecodeLimits limits;
  DecodedJwt jwt;
  if (decode(in, limits, jwt) == JwtError::kNone) {
    check(in.size() <= limits.max_token_bytes);
    check(jwt.signing_input == in.substr(0, in.rfind('.')));
    check(alg_from_name(alg_name(jwt.header.alg)) == jwt.header.alg);
    (void)jwt.claims.claim_as_string("sub");
    (void)jwt.claims.claim_as_string("realm");
    KeySet empty;
    check(verify_with_keys(jwt, empty, AlgSet::all()) != JwtError::kNone);
  }

  // The same bytes as a JWKS document and as one JWK.
  KeySet set;
  std::vector<std::string> skipped;
  if (KeySet::parse_jwks(in, set, skipped).ok()) {
    check(set.keys().size() <= KeySet::kMaxKeys);
    for (const Key& k : set.keys()) (void)k.to_public_jwk();
  }
  Key key;
  if (Key::from_jwk(in, key).ok()) {
    check(!key.empty());
    (void)key.to_public_jwk();
  }
  return 0;
}
