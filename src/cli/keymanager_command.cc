#include "cli/keymanager_command.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "keymanager/km_config.h"
#include "keymanager/km_server.h"
#include "keymanager/km_store.h"
#include "keymanager/management.h"

namespace postern::cli {

namespace km = postern::keymanager;

void add_keymanager_command(CLI::App& parent, KeymanagerCommand& c) {
  c.root = parent.add_subcommand("keymanager", "OAuth2 key manager: run it, or manage its applications and clients");
  c.root->add_option("--config", c.config, "km.yaml")->capture_default_str();
  c.root->require_subcommand(0, 1);
  auto* app = c.root->add_subcommand("app", "Applications");
  app->require_subcommand(1);
  c.app_create = app->add_subcommand("create", "Create an application");
  c.app_create->add_option("--name", c.name, "Application name")->required();
  c.app_create->add_option("--tier", c.tier, "Application throttling tier")->capture_default_str();
  c.app_create->add_option("--owner", c.owner, "Owner (the sub of client-credentials tokens)")->capture_default_str();
  c.app_list = app->add_subcommand("list", "List applications with their clients and subscriptions");
  c.app_delete = app->add_subcommand("delete", "Delete an application, its clients and subscriptions");
  c.app_delete->add_option("--name", c.name, "Application name")->required();
  auto* client = c.root->add_subcommand("client", "OAuth2 clients of an application");
  client->require_subcommand(1);
  c.client_create = client->add_subcommand("create", "Create a client; prints its id and secret once");
  c.client_create->add_option("--app", c.app, "Application name")->required();
  c.client_create->add_option("--keytype", c.keytype, "PRODUCTION or SANDBOX")->capture_default_str();
  c.client_create->add_option("--public-key", c.public_key_file, "PEM public key for private_key_jwt");
  c.client_rotate = client->add_subcommand("rotate-secret", "New secret; the old one and refresh tokens stop working");
  c.client_rotate->add_option("--client-id", c.client_id, "Client id")->required();
  c.subscribe = c.root->add_subcommand("subscribe", "Subscribe an application to an API with a tier");
  c.subscribe->add_option("--app", c.app, "Application name")->required();
  c.subscribe->add_option("--api", c.api, "Name:version (version * = every version)")->required();
  c.subscribe->add_option("--tier", c.tier, "Subscription tier")->capture_default_str();
  auto* user = c.root->add_subcommand("user", "Users of the (legacy) password grant");
  user->require_subcommand(1);
  c.user_add = user->add_subcommand("add", "Add a user; reads the password from stdin");
  c.user_add->add_option("--username", c.username, "User name")->required();
  auto* keys = c.root->add_subcommand("keys", "Signing keys");
  keys->require_subcommand(1);
  c.keys_rotate = keys->add_subcommand("rotate", "Publish a new key now; it signs after signing.publish_ahead");
}

namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string read_all(std::istream& in) {
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int print(const km::ManagementResult& r) {
  if (!r.ok) {
    std::fprintf(stderr, "postern keymanager: %s\n", r.text.c_str());
    return 1;
  }
  std::printf("%s\n", r.text.c_str());
  return 0;
}

int manage(const KeymanagerCommand& c, const km::KmConfig& config) {
  auto store = km::open_store(config.store_url);
  std::vector<config::Diagnostic> errors;
  km::ApiCatalog catalog = config.project.empty() ? km::ApiCatalog() : km::ApiCatalog::load(config.project, errors);
  for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.format().c_str());
  if (!errors.empty()) return 1;
  km::Management m(*store, catalog);
  if (*c.app_create) return print(m.create_app(c.name, c.tier, c.owner));
  if (*c.app_list) return print(m.list_apps());
  if (*c.app_delete) return print(m.delete_app(c.name));
  if (*c.client_create) {
    std::string pem;
    if (!c.public_key_file.empty()) {
      std::ifstream f(c.public_key_file);
      if (!f) return print({false, "cannot read " + c.public_key_file});
      pem = read_all(f);
    }
    return print(m.create_client(c.app, c.keytype, pem));
  }
  if (*c.client_rotate) return print(m.rotate_secret(c.client_id));
  if (*c.subscribe) return print(m.subscribe(c.app, c.api, c.tier));
  if (*c.user_add) {
    std::string password = read_all(std::cin);
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
    return print(m.add_user(c.username, password));
  }
  if (*c.keys_rotate) {
    km::KeySealer sealer = km::KeySealer::from_env_or_file(config.master_key_env, config.master_key_file.string());
    km::KeyRing keys(*store, sealer,
                     km::KeySchedule{config.signing_alg, config.key_lifetime.count(), config.publish_ahead.count(),
                                     config.access_lifetime.count()});
    return print(m.rotate_keys(keys, unix_now()));
  }
  return 2;
}

}  // namespace

int run_keymanager_command(const KeymanagerCommand& c) {
  km::KmLoadResult loaded = km::load_km_config(c.config);
  for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.format().c_str());
  if (!loaded.config) return 1;
  bool serve = true;
  for (auto* sub : {c.app_create, c.app_list, c.app_delete, c.client_create, c.client_rotate, c.subscribe, c.user_add,
                    c.keys_rotate})
    if (*sub) serve = false;
  if (serve) return km::run_keymanager(*loaded.config);
  try {
    return manage(c, *loaded.config);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "postern keymanager: %s\n", e.what());
    return 1;
  }
}

}  // namespace postern::cli
