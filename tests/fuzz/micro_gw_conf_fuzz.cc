// libFuzzer target for `postern import-wso2`'s micro-gw.conf reader (src/cli/wso2_conf.cc):
// toml11's parser and our conversion of every section. The file comes from a project the
// user is migrating, often one they did not write.
//
// Besides memory errors (ASan/UBSan) and uncaught exceptions (toml11 reports errors by
// throwing; convert_micro_gw_conf must turn every one into `ok = false`), it checks:
//  - a failure says where (the error starts with the file name) and sets nothing else;
//  - a success gives a postern.yaml, and every file it moves secrets to has a relative
//    path without "..".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cli/wso2_conf.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto out = postern::cli::convert_micro_gw_conf(text, "micro-gw.conf");
  if (!out.ok) {
    check(out.error.rfind("micro-gw.conf", 0) == 0);
    check(out.postern_yaml.empty() && out.files.empty());
    return 0;
  }
  check(!out.postern_yaml.empty());
  for (const auto& [path, content] : out.files) {
    check(!path.empty() && path.front() != '/');
    check(path.find("..") == std::string::npos);
  }
  return 0;
}
