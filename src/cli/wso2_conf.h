#pragma once
// WSO2 API Microgateway 3.x runtime configuration (`micro-gw.conf`, TOML) → the matching
// sections of a postern.yaml, plus a note for every setting that could not be carried over
// and why. A pure function of the file's text (no I/O), so it is unit-tested and fuzzed.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace postern::cli {

// Something of the WSO2 project that the Postern project does not have.
struct MigrationNote {
  std::string where;  // "micro-gw.conf:12:1 [keyManager] enableLegacyMode", "interceptors/audit.bal"
  std::string why;    // what Postern does instead and what to do
};

struct ConvertedConf {
  bool ok = false;           // false: not TOML (error says where); nothing else is set
  std::string error;         // "micro-gw.conf:3:7: ..." when !ok
  std::string postern_yaml;  // a complete postern.yaml (listeners, limits, security, ...)
  // Files the postern.yaml refers to, relative to the project (secrets moved out of the
  // TOML, e.g. "secrets/key-manager-client-secret"), with their contents.
  std::map<std::string, std::string> files;
  std::vector<MigrationNote> notes;  // in file order
};

// `file_name` is how the file is named in notes and errors. `apis_dir` is the apis folder
// written into postern.yaml.
ConvertedConf convert_micro_gw_conf(std::string_view toml_text, std::string_view file_name);

}  // namespace postern::cli
