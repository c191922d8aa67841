#pragma once
// The filter engine: one route's filters in registry order (registry.cc), run request side
// first to last until one replies or waits, response side last to first over the filters
// that ran. It knows no filter by name; the session drives it and owns the I/O.
#include <memory>
#include <string>
#include <vector>

#include "filters/filter.h"

namespace postern::filters {

class FilterChain {
 public:
  void add(std::shared_ptr<const Filter> filter);
  bool empty() const { return filters_.empty(); }
  size_t size() const { return filters_.size(); }
  const Filter& at(size_t i) const { return *filters_[i]; }

  // Runs request sides from ctx.next_filter on. kWait: co_await *ctx.wait, then resume().
  FilterStatus run(RequestContext& ctx) const;
  // The wait of the current filter completed: its on_resume(), then the rest.
  FilterStatus resume(RequestContext& ctx) const;
  // The client went away during the wait of the current filter.
  void cancel(RequestContext& ctx) const;

  bool has_response_head_hooks() const { return response_head_; }
  bool has_response_body_hooks() const { return response_body_; }
  bool has_complete_hooks() const { return complete_; }
  // Response head of a forwarded response or a local reply: every filter that ran.
  void response_head(RequestContext& ctx, ResponseInfo& response) const;
  // A piece of a forwarded response body, through every filter that ran.
  void response_body(RequestContext& ctx, std::string& data, bool end) const;
  // The request ended.
  void complete(RequestContext& ctx, const RequestTotals& totals) const;

 private:
  FilterStatus settle(RequestContext& ctx, FilterStatus status) const;

  std::vector<std::shared_ptr<const Filter>> filters_;
  std::vector<Filter::Hooks> hooks_;
  bool response_head_ = false;
  bool response_body_ = false;
  bool complete_ = false;
};

}  // namespace postern::filters
