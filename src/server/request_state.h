#pragma once
// What a proxy session knows about the request in progress. A value: the session starts
// every request with `state = RequestState{}`, so nothing of one caller's request can leak
// into the next one on a kept-alive connection. It lives in the pooled InFlight, so an idle
// connection holds none of it.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/inline_string.h"
#include "filters/context.h"
#include "filters/local_reply.h"

namespace postern::server {

struct RuntimeRoute;

struct RequestState {
  const RuntimeRoute* route = nullptr;         // once routed
  filters::RequestContext* filters = nullptr;  // once routed: what the filters decided
  InlineString<128> request_id;                // the client's (validated) or a new one
  InlineString<32> trace_id;                   // 32 hex digits
  InlineString<55> traceparent;                // what the backend receives
  std::string_view tracestate;                 // forwarded with a continued trace
  std::string_view caller_ip;                  // the client behind trusted proxies, or the peer
  SteadyTime started{};
  uint64_t upstream_us = 0;
  uint64_t bytes_in = 0;      // request body bytes
  uint64_t bytes_out = 0;     // response body bytes
  const char* endpoint = "";  // the endpoint URL last tried
  // Why the request failed (analytics error_*; kNone: it did not).
  int error_code = 0;
  filters::ErrorSource error_source = filters::ErrorSource::kNone;
  std::string error_reason;
  bool recorded = false;  // the analytics event is written (every-event mode)
};

}  // namespace postern::server
