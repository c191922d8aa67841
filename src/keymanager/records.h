#pragma once
// What the key manager keeps (docs: issue 11), as plain values. Every time is in unix
// seconds. Secrets never appear here in clear: client secrets and user passwords are scrypt
// hashes (secret_hash.h), refresh tokens are SHA-256 digests, signing keys are sealed
// (key_sealer.h).
#include <cstdint>
#include <string>
#include <vector>

namespace postern::keymanager {

struct Application {
  std::string id;    // random (16 bytes, base64url); the store assigns it when empty
  std::string name;  // unique
  std::string tier;
  std::string owner;
  int64_t created_at = 0;
};

struct Client {
  std::string client_id;
  std::string application_id;
  std::string secret_hash;     // empty when the client authenticates only with private_key_jwt
  std::string key_type;        // "PRODUCTION" | "SANDBOX"
  std::string public_key_pem;  // for private_key_jwt; may be empty
  int64_t created_at = 0;
};

struct Subscription {
  std::string application_id;
  std::string api_name;
  std::string api_version;
  std::string tier;
};

struct User {
  std::string username;
  std::string password_hash;
  std::vector<std::string> roles;  // kept in the given order
};

struct SigningKey {
  std::string kid;
  std::string alg;                 // "RS256" | "ES256" | "EdDSA"
  std::string private_pem_sealed;  // KeySealer::seal of the private key's PEM
  std::string public_pem;
  int64_t created_at = 0;
  int64_t signs_from = 0;
  int64_t signs_until = 0;
  int64_t published_until = 0;  // in the JWKS until then: the last token it signed expires by then
};

struct RefreshToken {
  std::string token_hash;  // sha256_hex of the token
  std::string family_id;   // shared by a token and every token rotated from it
  std::string client_id;
  std::string username;  // empty for tokens not issued to a user
  std::string scope;
  int64_t expires_at = 0;
  bool used = false;
};

struct Revocation {
  std::string jti;
  int64_t expires_at = 0;  // the revoked token's exp: after it, the entry is useless
  int64_t revoked_at = 0;
};

}  // namespace postern::keymanager
