#pragma once
// The filter contract (design.md "Filter contract", docs/architecture.md "Filters"). A
// filter is built once per route from the validated config and is immutable; what it keeps
// per request lives in RequestContext::data<T>(), per worker in a slot (worker_slots.h).
//
// Request side, in Envoy's spirit, each call answers one of:
//   kContinue  go on to the next filter, then the backend;
//   kReply     stop and answer with ctx.reply (any response, not only an error);
//   kWait      stop until ctx.wait completes (a coroutine: a key-manager call, a password
//              check), then on_resume() decides. The worker serves others meanwhile; if
//              the client goes away first, the wait is cancelled and on_cancel() runs.
// Response side: on_response_head() may change the status and edit headers (for forwarded
// responses and for local replies given after this filter ran); on_response_body() sees
// every piece of a forwarded response body and may replace it; on_complete() runs when the
// request has ended, whatever the outcome.
#include <cstdint>
#include <string>
#include <string_view>

#include "filters/context.h"

namespace postern::filters {

enum class FilterStatus : uint8_t { kContinue, kReply, kWait };

// The response as a response-side hook sees it.
struct ResponseInfo {
  int status = 0;
  bool local = false;  // a local reply (no backend was asked)
};

// How a request ended, for on_complete().
struct RequestTotals {
  int status = 0;
  uint64_t bytes_in = 0;   // request body bytes
  uint64_t bytes_out = 0;  // response body bytes
};

class Filter {
 public:
  // Which optional hooks a filter has, so the engine calls only those.
  struct Hooks {
    bool response_head = false;
    bool response_body = false;  // on_response_body may change the body
    bool complete = false;
  };

  virtual ~Filter() = default;
  virtual std::string_view name() const = 0;
  virtual Hooks hooks() const { return {}; }

  virtual FilterStatus on_request(RequestContext& ctx) const = 0;
  // After kWait: the wait completed (its results are in ctx.data<T>()).
  virtual FilterStatus on_resume(RequestContext& /*ctx*/) const { return FilterStatus::kContinue; }
  // The client went away during this filter's wait; the wait was cancelled.
  virtual void on_cancel(RequestContext& /*ctx*/) const {}

  virtual void on_response_head(RequestContext& /*ctx*/, ResponseInfo& /*response*/) const {}
  // A piece of the response body (decoded from its transfer framing); `end`: the last one.
  virtual void on_response_body(RequestContext& /*ctx*/, std::string& /*data*/, bool /*end*/) const {}
  virtual void on_complete(RequestContext& /*ctx*/, const RequestTotals& /*totals*/) const {}
};

}  // namespace postern::filters
