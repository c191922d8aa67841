#include "keymanager/management.h"

#include "jose/key.h"
#include "keymanager/json_writer.h"
#include "keymanager/secret_hash.h"

namespace postern::keymanager {

namespace {

ManagementResult error(std::string message) { return {false, std::move(message)}; }

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string check_name(const std::string& value, std::string_view what, size_t max) {
  if (value.empty() || value.size() > max)
    return std::string(what) + " must be 1.." + std::to_string(max) + " characters";
  for (unsigned char c : value)
    if (c < 0x20 || c == 0x7f) return std::string(what) + " must not contain control characters";
  return "";
}

std::optional<Application> Management::app_named(const std::string& name, ManagementResult& out) {
  auto app = store_.get_application_by_name(name);
  if (!app) out = error("no application named '" + name + "' (see: postern keymanager app list)");
  return app;
}

ManagementResult Management::create_app(const std::string& name, const std::string& tier, const std::string& owner) {
  for (auto [v, what] :
       {std::pair{&name, "the application name"}, {&tier, "the application tier"}, {&owner, "the owner"}})
    if (auto why = check_name(*v, what); !why.empty()) return error(why);
  try {
    Application app = store_.create_application(Application{"", name, tier, owner, unix_now()});
    return {true,
            JsonObject().add("id", app.id).add("name", app.name).add("tier", app.tier).add("owner", app.owner).str()};
  } catch (const StoreConflict&) {
    return error("an application named '" + name + "' already exists");
  }
}

ManagementResult Management::list_apps() {
  std::string out = "[";
  for (const auto& a : store_.list_applications()) {
    std::string subs = "[";
    for (const auto& s : store_.subscriptions_of(a.id)) {
      subs += subs.size() > 1 ? "," : "";
      subs += JsonObject().add("api", s.api_name + ":" + s.api_version).add("tier", s.tier).str();
    }
    std::vector<std::string> clients;
    for (const auto& c : store_.clients_of(a.id)) clients.push_back(c.client_id);
    out += out.size() > 1 ? "," : "";
    out += JsonObject()
               .add("id", a.id)
               .add("name", a.name)
               .add("tier", a.tier)
               .add("owner", a.owner)
               .add_strings("clients", clients)
               .add_raw("subscriptions", subs + "]")
               .str();
  }
  return {true, out + "]"};
}

ManagementResult Management::delete_app(const std::string& name) {
  ManagementResult r;
  auto app = app_named(name, r);
  if (!app) return r;
  // Its clients go with it: they can get no token, and introspection reports their
  // tokens inactive (JWTs already issued stay valid at gateways until they expire).
  store_.delete_application(app->id);
  return {true, JsonObject().add("deleted", app->name).str()};
}

ManagementResult Management::create_client(const std::string& app_name, const std::string& key_type,
                                           const std::string& public_key_pem) {
  if (key_type != "PRODUCTION" && key_type != "SANDBOX") return error("--keytype must be PRODUCTION or SANDBOX");
  if (!public_key_pem.empty()) {
    jose::Key key;
    if (!jose::Key::from_pem(public_key_pem, key) || key.has_private())
      return error("--public-key must be a PEM public key (RSA >= 2048, EC P-256/384/521 or Ed25519)");
  }
  ManagementResult r;
  auto app = app_named(app_name, r);
  if (!app) return r;
  Client c;
  c.client_id = random_token(16);
  const std::string secret = random_token(32);
  c.application_id = app->id;
  c.secret_hash = hash_secret(secret);
  c.key_type = key_type;
  c.public_key_pem = public_key_pem;
  c.created_at = unix_now();
  store_.create_client(c);
  return {true, JsonObject()
                    .add("client_id", c.client_id)
                    .add("client_secret", secret)
                    .add("application", app->name)
                    .add("keytype", key_type)
                    .str()};
}

ManagementResult Management::rotate_secret(const std::string& client_id) {
  if (!store_.get_client(client_id)) return error("no client with id '" + client_id + "'");
  const std::string secret = random_token(32);
  store_.update_client_secret(client_id, hash_secret(secret));
  store_.revoke_refresh_of_client(client_id);
  return {true, JsonObject().add("client_id", client_id).add("client_secret", secret).str()};
}

ManagementResult Management::subscribe(const std::string& app_name, const std::string& api, const std::string& tier) {
  size_t colon = api.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == api.size())
    return error("--api must be Name:version (version * for every version), e.g. PetStore:1.0.0");
  if (auto why = check_name(tier, "the subscription tier", 64); !why.empty()) return error(why);
  const std::string name = api.substr(0, colon), version = api.substr(colon + 1);
  if (!catalog_.empty() && !catalog_.has(name, version))
    return error("no API " + api + " in the project; it has: " + catalog_.list());
  ManagementResult r;
  auto app = app_named(app_name, r);
  if (!app) return r;
  store_.subscribe(Subscription{app->id, name, version, tier});
  return {true, JsonObject().add("application", app->name).add("api", api).add("tier", tier).str()};
}

ManagementResult Management::add_user(const std::string& username, const std::string& password) {
  if (auto why = check_name(username, "the username", 128); !why.empty()) return error(why);
  if (password.size() < 8) return error("the password must be at least 8 characters");
  try {
    store_.add_user(User{username, hash_secret(password), {}});
  } catch (const StoreConflict&) {
    return error("a user named '" + username + "' already exists");
  }
  return {true, JsonObject().add("user", username).str()};
}

ManagementResult Management::rotate_keys(KeyRing& keys, int64_t now) {
  keys.maintain(now);
  std::string kid = keys.rotate(now);
  return {true, JsonObject().add("new_kid", kid).str()};
}

}  // namespace postern::keymanager
