#pragma once
// Whether a caller's WSO2 subscriptions (or an API key's allowedAPIs) cover an API. One
// rule for authentication and throttling: the name must match; the version matches when it
// is the API's, "*", or absent (WSO2 API keys may list an API by name only).
#include <string_view>
#include <vector>

#include "filters/identity.h"

namespace postern::filters {

const Identity::Subscription* find_subscription(const std::vector<Identity::Subscription>& list,
                                                std::string_view api_name, std::string_view api_version);

}  // namespace postern::filters
