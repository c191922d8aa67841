// libFuzzer target for what the collector reads from the network before anything is
// stored: gunzip with its size bound, and the JSON Lines / schema v1 validator. Inputs
// starting with the gzip magic go through gunzip first, like a Content-Encoding: gzip body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collector/ingest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string inflated;
  if (in.size() >= 2 && static_cast<unsigned char>(in[0]) == 0x1f && static_cast<unsigned char>(in[1]) == 0x8b) {
    if (postern::collector::gunzip(in, 1 << 20, inflated) != postern::collector::DecodeError::kNone) return 0;
    in = inflated;
  }
  postern::collector::EventFile file;
  auto err = postern::collector::parse_event_lines(in, std::nullopt, file);
  // Invariants: an error keeps nothing and names a line within the input; success counts
  // every line exactly once.
  if (err) {
    if (!file.requests.empty() || !file.gaps.empty() || file.lines != 0) __builtin_trap();
    if (err->line < 0 || err->line > static_cast<int64_t>(in.size()) + 1) __builtin_trap();
  } else if (static_cast<size_t>(file.lines) != file.requests.size() + file.gaps.size()) {
    __builtin_trap();
  }
  return 0;
}
