#include "filters/subscription.h"

namespace postern::filters {

const Identity::Subscription* find_subscription(const std::vector<Identity::Subscription>& list,
                                                std::string_view api_name, std::string_view api_version) {
  for (const auto& s : list) {
    if (s.name == api_name && (s.version.empty() || s.version == "*" || s.version == api_version)) return &s;
  }
  return nullptr;
}

}  // namespace postern::filters
