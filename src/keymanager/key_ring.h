#pragma once
// The key manager's signing keys (docs/keymanager.md "Signing keys"). Keys live in the
// store, private halves sealed with the master key, so every replica signs with the same
// keys. Each key has a schedule:
//   published from its creation until `published_until` (its last token's expiry),
//   signs from `signs_from` until `signs_until`.
// A successor is created `publish_ahead` before the current key's turn ends, so gateways
// that cache the JWKS see a key before any token carries its kid; the current signer is
// the signing-eligible key with the latest `signs_from`.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "jose/alg.h"
#include "jose/key.h"
#include "keymanager/key_sealer.h"
#include "keymanager/records.h"
#include "keymanager/store.h"

namespace postern::keymanager {

struct KeySchedule {
  jose::Alg alg = jose::Alg::kES256;
  int64_t key_lifetime = 30 * 86400;  // seconds a key signs
  int64_t publish_ahead = 600;        // seconds a key is published before it signs
  int64_t token_lifetime = 3600;      // the longest token a key signs (keeps it published)
};

class KeyRing {
 public:
  KeyRing(Store& store, const KeySealer& sealer, KeySchedule schedule)
      : store_(store), sealer_(sealer), schedule_(schedule) {}

  // Re-reads the keys from the store; makes the first key when there is none that signs
  // now, and the successor when the current key's turn ends within publish_ahead; deletes
  // keys no longer published. Call at start and periodically (replicas see each other's
  // keys this way).
  void maintain(int64_t now);
  // `keys rotate`: a new key, published now, that takes over signing after publish_ahead;
  // the keys before it stop signing then and leave the JWKS a token lifetime later.
  std::string rotate(int64_t now);

  // The key that signs now (nullptr when none could be made: the store is down).
  const jose::Key* signer(int64_t now);
  // {"keys":[...]}: every published key's public half.
  std::string jwks(int64_t now);
  // A published key by kid (verifying tokens at introspection and revocation).
  const jose::Key* find(std::string_view kid, int64_t now);

 private:
  SigningKey make_key(int64_t signs_from, int64_t now);
  void reload();
  const jose::Key* open(const SigningKey& record);

  Store& store_;
  const KeySealer& sealer_;
  KeySchedule schedule_;
  std::vector<SigningKey> records_;
  std::map<std::string, jose::Key, std::less<>> opened_;  // kid -> private key
};

// A new private key for `alg` as PKCS#8 PEM, and its public half as SPKI PEM.
bool generate_key_pem(jose::Alg alg, std::string& private_pem, std::string& public_pem);

}  // namespace postern::keymanager
