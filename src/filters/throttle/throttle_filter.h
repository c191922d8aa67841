#pragma once
// Throttling (design.md filters/throttle): the quotas of a route in WSO2's order — API, resource, subscription,
// application — each counted in the node's CounterStore (and, distributed, the fleet's through Redis). A request
// refused at one level gives back what the earlier levels counted, so refused requests never use up a quota. Every
// limited response carries RateLimit-* headers. Every route gets one: subscription and application tiers come from
// tokens and blocking conditions can be added at run time; a route whose levels are all Unlimited costs a few
// comparisons and no allocation.
#include <memory>
#include <string>

#include "filters/filter.h"
#include "filters/services.h"
#include "throttle/counter_store.h"

namespace postern::filters {

class ThrottleFilter final : public Filter {
 public:
  ThrottleFilter(std::shared_ptr<throttle::CounterStore> store, const config::ThrottlingConfig& config,
                 const config::Route& route);
  static std::shared_ptr<const Filter> for_route(const FilterServices& services, const config::Route& route);
  std::string_view name() const override { return "throttle"; }
  Hooks hooks() const override { return {.complete = true}; }
  FilterStatus on_request(RequestContext& ctx) const override;
  // Charges bandwidth (byte) quotas with what the request moved.
  void on_complete(RequestContext& ctx, const RequestTotals& totals) const override;

 private:
  struct Level {
    const config::ThrottleTier* tier = nullptr;
    int code = 0;
    const char* name = "";  // "api", "resource", "subscription", "application"
  };
  const config::ThrottleTier* subscription_tier(const RequestContext& ctx, std::string& key) const;
  const config::ThrottleTier* application_tier(const RequestContext& ctx, std::string& key) const;
  bool consumer_suffix(const config::ThrottleTier& t, const RequestContext& ctx, std::string& key) const;

  std::shared_ptr<throttle::CounterStore> store_;
  const config::ThrottlingConfig& config_;  // lives in the snapshot, as does the route
  const config::Route& route_;
  std::string api_key_;       // "api|Name:version"
  std::string resource_key_;  // "res|GET /base/path"
  std::string api_id_;        // "Name:version"
};

}  // namespace postern::filters
