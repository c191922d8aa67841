#include "jose/alg.h"

#include <array>

namespace postern::jose {
namespace {
constexpr std::array<std::string_view, kAlgCount> kNames = {"RS256", "RS384", "RS512", "PS256", "PS384",
                                                            "PS512", "ES256", "ES384", "ES512", "EdDSA",
                                                            "HS256", "HS384", "HS512"};
}  // namespace

std::string_view alg_name(Alg alg) { return kNames[static_cast<size_t>(alg)]; }

std::optional<Alg> alg_from_name(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Alg>(i);
  }
  return std::nullopt;
}

}  // namespace postern::jose
