#include "filters/registry.h"

#include "filters/auth/auth_filter.h"
#include "filters/backend_jwt/backend_jwt.h"
#include "filters/blocking/blocking_filter.h"
#include "filters/throttle/throttle_filter.h"

namespace postern::filters {
namespace {

// In order. Blocking by address or API comes first, so a blocked client costs no
// signature check; blocking by application or user needs the caller, so it follows
// authentication; throttling counts only callers that may call; the backend JWT is signed
// only for requests that will be forwarded.
constexpr FilterFactory kRegistry[] = {
    {"blocking.caller", &BlockingFilter::for_caller},     {"auth", &AuthFilter::for_route},
    {"blocking.consumer", &BlockingFilter::for_consumer}, {"throttle", &ThrottleFilter::for_route},
    {"backend_jwt", &BackendJwtFilter::for_route},
};

}  // namespace

std::span<const FilterFactory> filter_registry() { return kRegistry; }

FilterChain build_chain(const FilterServices& services, const config::Route& route,
                        std::span<const FilterFactory> factories) {
  FilterChain chain;
  for (const auto& f : factories) {
    if (auto filter = f.build(services, route)) chain.add(std::move(filter));
  }
  return chain;
}

}  // namespace postern::filters
