#pragma once
// What `postern bundle build` takes from a project folder. The rule, in one place:
//  - every regular file under the folder, recursively, sorted by path;
//  - dot-files and dot-folders (.git, .env, editor files) are skipped;
//  - refused, with the file's path in the error (never silently skipped, so a bundle is
//    never quietly missing something the project needs):
//      * a file whose text contains "PRIVATE KEY-----" (every PEM private key: PKCS#8,
//        RSA, EC, encrypted, OpenSSH);
//      * a file that looks like a secret by its name: extension .key, .p12, .pfx, .jks,
//        .keystore, or a name containing "secret", "password" or "token" (any case)
//        unless it ends in .yaml, .yml or .json (an API may be called token-api.yaml);
//      * symlinks, devices, sockets (a bundle holds regular files only);
//      * a path check_bundle_path refuses, a file over kMaxFileBytes, more than kMaxFiles;
//  - postern.yaml must be there.
// Secrets stay next to the bundle (or in env vars): see docs/deployment.md.
#include <filesystem>
#include <vector>

#include "bundle/bundle_file.h"
#include "core/status.h"

namespace postern::bundle {

Status collect_project_files(const std::filesystem::path& project_dir, std::vector<BundleFile>& out);

// The private-key and secret-name rule alone (unit-tested): ok, or why `path` is refused.
Status check_not_secret(std::string_view path, std::string_view bytes);

}  // namespace postern::bundle
