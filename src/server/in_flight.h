#pragma once
// Everything a connection needs only while a request is in flight: the read buffer, the
// parsed heads (their header views point into it), scratch for the heads and chunk framing
// the gateway writes. Taken from the worker's pool when bytes arrive and given back when
// the connection goes idle, so an idle keep-alive connection holds none of it
// (docs/architecture.md "Memory") and a busy one allocates none of it.
#include <memory>
#include <string>
#include <vector>

#include "filters/context.h"
#include "filters/local_reply.h"
#include "http/head_parser.h"
#include "router/route_table.h"
#include "server/request_state.h"

namespace postern::server {

struct InFlight {
  RequestState state;           // the request in progress, reset by assignment
  std::unique_ptr<char[]> buf;  // client bytes: [0, end) data, heads parsed in place
  size_t cap = 0;
  http::RequestHead request;
  http::ResponseHead response;
  router::MatchResult match;
  std::string path;                                // normalized request path
  std::string head;                                // outgoing head scratch
  std::string chunk;                               // decoded chunk payload scratch
  std::string frame;                               // chunk framing scratch
  std::string piece;                               // a response body piece as response filters changed it
  std::string caller_ip;                           // the forwarded client behind trusted proxies
  std::optional<filters::RequestContext> filters;  // the request's, once routed
  filters::LocalReply refusal;                     // a reply the gateway gives before routing
};

// Worker thread only.
class InFlightPool {
 public:
  // One with a read buffer of `buffer_size` bytes.
  std::unique_ptr<InFlight> take(size_t buffer_size) {
    std::unique_ptr<InFlight> f;
    if (free_.empty()) {
      f = std::make_unique<InFlight>();
    } else {
      f = std::move(free_.back());
      free_.pop_back();
    }
    if (f->cap != buffer_size) {  // new, or the limit changed with a reload
      f->buf = std::make_unique_for_overwrite<char[]>(buffer_size);  // pages untouched stay unresident
      f->cap = buffer_size;
    }
    return f;
  }
  void give(std::unique_ptr<InFlight> f) {
    if (f && free_.size() < kMaxFree) free_.push_back(std::move(f));
  }
  size_t free_count() const { return free_.size(); }

 private:
  static constexpr size_t kMaxFree = 64;
  std::vector<std::unique_ptr<InFlight>> free_;
};

}  // namespace postern::server
