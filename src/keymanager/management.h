#pragma once
// Managing applications, clients, subscriptions, users and keys: what the CLI
// (`postern keymanager … app create`, docs/keymanager.md "Management") does. Each
// operation validates its input first and answers with a JSON line or a clear error.
#include <optional>
#include <string>

#include "keymanager/api_catalog.h"
#include "keymanager/key_ring.h"
#include "keymanager/store.h"

namespace postern::keymanager {

struct ManagementResult {
  bool ok = true;
  std::string text;  // JSON on success, the error message otherwise
};

class Management {
 public:
  Management(Store& store, const ApiCatalog& catalog) : store_(store), catalog_(catalog) {}

  ManagementResult create_app(const std::string& name, const std::string& tier, const std::string& owner);
  ManagementResult list_apps();
  ManagementResult delete_app(const std::string& name);
  // A client of application `app` (by name): a random id and secret, printed once; with
  // `public_key_pem` it may also authenticate with private_key_jwt.
  ManagementResult create_client(const std::string& app, const std::string& key_type,
                                 const std::string& public_key_pem);
  // A new secret; the old one stops working and the client's refresh tokens are revoked.
  ManagementResult rotate_secret(const std::string& client_id);
  // `api` is "Name:version" ("*" version: every version of that name).
  ManagementResult subscribe(const std::string& app, const std::string& api, const std::string& tier);
  ManagementResult add_user(const std::string& username, const std::string& password);
  ManagementResult rotate_keys(KeyRing& keys, int64_t now);

 private:
  std::optional<Application> app_named(const std::string& name, ManagementResult& error);

  Store& store_;
  const ApiCatalog& catalog_;
};

// Why `value` is not acceptable as `what` (1..max printable characters, no control
// characters), or "" when it is.
std::string check_name(const std::string& value, std::string_view what, size_t max = 128);

}  // namespace postern::keymanager
