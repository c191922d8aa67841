#include "filters/blocking/blocking_filter.h"

namespace postern::filters {
namespace {

FilterStatus blocked(RequestContext& ctx, std::string_view what, std::string_view log_reason) {
  ctx.reply = error_reply(403, 900805, "Message blocked",
                          std::string("You have been blocked from accessing the resource (") + std::string(what) + ")",
                          ReplyReason::kBlocked, ErrorSource::kBlocked, log_reason);
  return FilterStatus::kReply;
}

}  // namespace

std::shared_ptr<const Filter> BlockingFilter::for_caller(const FilterServices& /*services*/,
                                                         const config::Route& route) {
  return route.api ? std::make_shared<BlockingFilter>(Stage::kCaller, *route.api) : nullptr;
}

std::shared_ptr<const Filter> BlockingFilter::for_consumer(const FilterServices& /*services*/,
                                                           const config::Route& route) {
  // Applications and users are known only on routes that authenticate.
  if (!route.api || !route.security || route.security->disabled) return nullptr;
  return std::make_shared<BlockingFilter>(Stage::kConsumer, *route.api);
}

FilterStatus BlockingFilter::on_request(RequestContext& ctx) const {
  const throttle::BlockList* blocks = ctx.block_list;
  if (blocks == nullptr || blocks->empty()) return FilterStatus::kContinue;
  if (stage_ == Stage::kCaller) {
    if (blocks->blocks_ip(ctx.client_ip)) return blocked(ctx, "IP address", "blocked_ip");
    if (blocks->blocks_api(api_.name, api_.version)) return blocked(ctx, "API", "blocked_api");
    return FilterStatus::kContinue;
  }
  const Identity* id = ctx.identity.get();
  if (id == nullptr) return FilterStatus::kContinue;
  if (blocks->blocks_application(id->application_id, id->application_name))
    return blocked(ctx, "application", "blocked_application");
  if (blocks->blocks_user(id->subject)) return blocked(ctx, "user", "blocked_user");
  return FilterStatus::kContinue;
}

}  // namespace postern::filters
