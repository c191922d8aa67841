#pragma once
// WSO2 blocking conditions (docs/throttling.md "Blocking"): a blocked caller address or API
// is refused before anything else runs (a blocked client costs no signature check); a
// blocked application or user once authentication knows them. One filter, registered at
// both places in the chain, with one reply (403 / 900805).
#include <memory>

#include "filters/filter.h"
#include "filters/services.h"

namespace postern::filters {

class BlockingFilter final : public Filter {
 public:
  enum class Stage : uint8_t {
    kCaller,    // client address, API
    kConsumer,  // application, user
  };
  BlockingFilter(Stage stage, const config::Api& api) : stage_(stage), api_(api) {}
  static std::shared_ptr<const Filter> for_caller(const FilterServices& services, const config::Route& route);
  static std::shared_ptr<const Filter> for_consumer(const FilterServices& services, const config::Route& route);

  std::string_view name() const override { return stage_ == Stage::kCaller ? "blocking.caller" : "blocking.consumer"; }
  FilterStatus on_request(RequestContext& ctx) const override;

 private:
  Stage stage_;
  const config::Api& api_;  // lives in the snapshot, as does the route
};

}  // namespace postern::filters
