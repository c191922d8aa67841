#pragma once
// The one place that lists the filters and their order. A route's chain is every filter
// whose factory returns one for that route, in this order. Adding a filter = its folder,
// one line in registry.cc, its tests (docs/architecture.md "Adding a filter").
#include <memory>
#include <span>
#include <string_view>

#include "filters/chain.h"
#include "filters/services.h"

namespace postern::filters {

struct FilterFactory {
  std::string_view name;
  // Null: the filter has nothing to do on this route.
  std::shared_ptr<const Filter> (*build)(const FilterServices& services, const config::Route& route);
};

std::span<const FilterFactory> filter_registry();

// The chain of `route`, from `factories` (the registry, or a test's own list).
FilterChain build_chain(const FilterServices& services, const config::Route& route,
                        std::span<const FilterFactory> factories = filter_registry());

}  // namespace postern::filters
