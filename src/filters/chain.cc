#include "filters/chain.h"

namespace postern::filters {

void FilterChain::add(std::shared_ptr<const Filter> filter) {
  Filter::Hooks h = filter->hooks();
  response_head_ |= h.response_head;
  response_body_ |= h.response_body;
  complete_ |= h.complete;
  hooks_.push_back(h);
  filters_.push_back(std::move(filter));
}

// After a filter answered: kContinue moves on, anything else stops the walk here.
FilterStatus FilterChain::settle(RequestContext& ctx, FilterStatus status) const {
  if (status == FilterStatus::kReply) ctx.replied = true;
  return status;
}

FilterStatus FilterChain::run(RequestContext& ctx) const {
  while (ctx.next_filter < filters_.size()) {
    ctx.current = ctx.next_filter++;
    FilterStatus s = filters_[ctx.current]->on_request(ctx);
    if (s != FilterStatus::kContinue) return settle(ctx, s);
  }
  return FilterStatus::kContinue;
}

FilterStatus FilterChain::resume(RequestContext& ctx) const {
  ctx.wait.reset();
  FilterStatus s = filters_[ctx.current]->on_resume(ctx);
  if (s != FilterStatus::kContinue) return settle(ctx, s);
  return run(ctx);
}

void FilterChain::cancel(RequestContext& ctx) const {
  ctx.wait.reset();
  filters_[ctx.current]->on_cancel(ctx);
}

void FilterChain::response_head(RequestContext& ctx, ResponseInfo& response) const {
  for (size_t i = ctx.next_filter; i-- > 0;) {
    if (!hooks_[i].response_head) continue;
    ctx.current = i;
    filters_[i]->on_response_head(ctx, response);
  }
}

void FilterChain::response_body(RequestContext& ctx, std::string& data, bool end) const {
  for (size_t i = ctx.next_filter; i-- > 0;) {
    if (!hooks_[i].response_body) continue;
    ctx.current = i;
    filters_[i]->on_response_body(ctx, data, end);
  }
}

void FilterChain::complete(RequestContext& ctx, const RequestTotals& totals) const {
  for (size_t i = ctx.next_filter; i-- > 0;) {
    if (!hooks_[i].complete) continue;
    ctx.current = i;
    filters_[i]->on_complete(ctx, totals);
  }
}

}  // namespace postern::filters
