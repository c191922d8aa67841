#pragma once
// One request as the filters see it: what arrived, what earlier filters found out (the
// caller's identity), and what the filters ask of the rest of the request (headers for the
// backend and the client, the sandbox endpoints, a local reply, a wait). Built by the
// session for each request; a filter needs no socket to be driven through one (unit tests
// build it directly).
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "config/snapshot.h"
#include "filters/identity.h"
#include "filters/local_reply.h"
#include "filters/worker_slots.h"
#include "http/head_parser.h"
#include "http/header_edits.h"
#include "net/asio.h"
#include "throttle/block_list.h"

namespace postern::filters {

struct RequestContext {
  RequestContext(const http::RequestHead& request, std::string_view path, const config::Route& route,
                 WorkerSlots& slots, int64_t now_ms)
      : request(request), path(path), route(route), slots(slots), now_unix(now_ms / 1000), now_ms(now_ms) {}

  // --- what arrived ---
  const http::RequestHead& request;
  std::string_view path;  // normalized
  const config::Route& route;
  WorkerSlots& slots;                               // this worker's per-worker filter state
  int64_t now_unix = 0;                             // seconds
  int64_t now_ms = 0;                               // Unix milliseconds
  std::string_view client_ip;                       // the caller (behind trusted proxies: the forwarded client)
  std::string_view client_cert_subject;             // a verified client certificate's subject DN, or empty
  bool tls = false;                                 // arrived on a TLS listener
  bool trusted_peer = false;                        // the TCP peer is one of forwarding.trusted_proxies
  const throttle::BlockList* block_list = nullptr;  // the worker's current one

  // --- what filters found out and ask for ---
  std::shared_ptr<const Identity> identity;  // set by an authentication filter
  std::string_view subscription_tier;        // of the subscription that let the call in
  bool use_sandbox = false;                  // route to the sandbox endpoints (sandbox key)
  http::HeaderEdits upstream_headers;        // for the backend
  std::string_view strip_query_param;        // a credential query parameter not to forward
  http::HeaderEdits response_headers;        // for the client, whatever the response is
  LocalReply reply;                          // with FilterStatus::kReply
  std::optional<net::awaitable<void>> wait;  // with FilterStatus::kWait

  // --- bookkeeping of the engine (FilterChain) ---
  size_t next_filter = 0;  // filters before it have run their request side
  size_t current = 0;      // the filter running now (or waiting)
  bool replied = false;    // a filter answered the request itself

  // Per-request state of the running filter (what it keeps across a wait, or until the
  // response): made on first use, gone with the request. One slot per filter, so a filter
  // uses one type T (a struct of everything it keeps), always the same.
  template <class T>
  T& data() {
    if (filter_data_.size() <= current) filter_data_.resize(current + 1);
    std::shared_ptr<void>& p = filter_data_[current];
    if (!p) p = std::make_shared<T>();
    return *static_cast<T*>(p.get());
  }
  template <class T>
  T* find_data() {
    return current < filter_data_.size() ? static_cast<T*>(filter_data_[current].get()) : nullptr;
  }

 private:
  std::vector<std::shared_ptr<void>> filter_data_;
};

}  // namespace postern::filters
