#pragma once
// `postern keymanager`: runs the key manager, or manages what it stores
// (docs/keymanager.md). Every form reads km.yaml (--config).
#include <CLI/CLI.hpp>

#include <string>

namespace postern::cli {

struct KeymanagerCommand {
  std::string config = "km.yaml";
  std::string name, tier = "Unlimited", owner = "admin", app, keytype = "PRODUCTION", public_key_file, client_id, api,
                    username;
  CLI::App* root = nullptr;
  CLI::App *app_create = nullptr, *app_list = nullptr, *app_delete = nullptr, *client_create = nullptr,
           *client_rotate = nullptr, *subscribe = nullptr, *user_add = nullptr, *keys_rotate = nullptr;
};

// Declares the subcommand and its options on `parent`.
void add_keymanager_command(CLI::App& parent, KeymanagerCommand& cmd);
// Runs whichever form was given; the process exit code.
int run_keymanager_command(const KeymanagerCommand& cmd);

}  // namespace postern::cli
