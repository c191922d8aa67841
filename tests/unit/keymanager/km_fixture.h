#pragma once
// A KeyManager on a temp SQLite store, driven through handle() without sockets.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>

#include "jose/jwt.h"
#include "jose/key_set.h"
#include "jose/verifier.h"
#include "keymanager/json_writer.h"
#include "keymanager/key_manager.h"
#include "keymanager/management.h"
#include "keymanager/sqlite_key_store.h"

namespace postern::keymanager::testing {

inline constexpr int64_t kNow = 1'800'000'000;

// "a:b" as base64 for an Authorization: Basic header.
std::string basic(const std::string& id, const std::string& secret);

struct RegisteredClient {
  std::string id, secret;
};

class KmTest : public ::testing::Test {
 protected:
  KmTest();
  ~KmTest() override;

  // POST `path` with a urlencoded `body`; `authorization` is the whole header value.
  KmResponse post(const std::string& path, const std::string& body, const std::string& authorization = "",
                  int64_t now = kNow, const std::string& ip = "192.0.2.1");
  KmResponse get(const std::string& path, int64_t now = kNow);
  RegisteredClient client(const std::string& app, const std::string& public_key_pem = "");
  // The token's claims after checking its signature against the JWKS at `now`.
  std::optional<jose::JwtClaims> verified_claims(const std::string& token, int64_t now = kNow);

  std::filesystem::path dir_;
  KmConfig config_;
  std::unique_ptr<SqliteKeyStore> store_;
  std::unique_ptr<KeySealer> sealer_;
  ApiCatalog catalog_;
  std::unique_ptr<Management> manage_;
  std::unique_ptr<KeyManager> km_;
};

// A JSON member of a response body, as text (strings without quotes); "" when absent.
std::string member(const std::string& json, const std::string& name);

}  // namespace postern::keymanager::testing
