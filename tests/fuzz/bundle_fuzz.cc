// libFuzzer target for the bundle reader (src/bundle), the parser every untrusted bundle
// meets before its signature is known to be good: libarchive's tar reader with our entry
// checks, MANIFEST and SIGNATURE parsing, and verify_bundle as a whole.
//
// Besides memory errors (ASan/UBSan) it checks contracts:
//  - a manifest that parses renders back to exactly the input (one canonical form);
//  - a signature block that parses renders back to exactly the input;
//  - every path in a parsed manifest passes check_bundle_path (never absolute, never "..");
//  - verify_bundle accepts only what the committed key signed (the corpus holds such
//    bundles), and then every file's SHA-256 matches and its path is safe.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "bundle/bundle.h"
#include "bundle/manifest.h"
#include "bundle/path_rules.h"
#include "bundle/sha256.h"
#include "bundle/signature.h"

namespace {

using namespace postern::bundle;

void check(bool ok) {
  if (!ok) std::abort();
}

// The public half of the key tests/fuzz/bundle_corpus was signed with (the private half
// is not kept: the fuzzer needs valid signatures only as seeds).
constexpr std::string_view kTrustedPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAmwuyKV3EjG03+Ym5q5zKjOsV7CrXmM9XaXbnEjrbeyI=\n"
    "-----END PUBLIC KEY-----\n";

const std::vector<BundleKey>& trusted() {
  static const std::vector<BundleKey> keys = [] {
    BundleKey k;
    check(bundle_key_from_pem(kTrustedPem, false, k).ok());
    return std::vector<BundleKey>{k};
  }();
  return keys;
}

void fuzz_text_parsers(std::string_view text) {
  Manifest m;
  if (parse_manifest(text, m).ok()) {
    check(render_manifest(m) == text);
    for (const ManifestEntry& f : m.files) check(check_bundle_path(f.path).ok());
  }
  SignatureBlock s;
  if (parse_signature(text, s).ok()) check(render_signature(s) == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz_text_parsers(input);
  BundleSummary summary;
  (void)inspect_bundle(input, summary);
  VerifiedBundle v;
  if (verify_bundle(input, trusted(), v).ok()) {
    for (const BundleFile& f : v.files) check(check_bundle_path(f.path).ok());
    check(v.digest.size() == 64);
  }
  return 0;
}
