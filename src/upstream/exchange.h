#pragma once
// One request/response exchange with a backend: pick the endpoint (load_balancer.h), take
// a pooled connection or connect, send the head and stream the body, read the response
// head (skipping 1xx). A pooled connection found closed is replayed once on a fresh one
// when the request can be sent again; a request that reached an endpoint is never sent to
// another. The response body is read afterwards by the caller (response_body.h) from the
// exchange's connection and buffer; release() then returns the connection to the pool.
#include <memory>
#include <string>

#include "http/head_parser.h"
#include "upstream/buffer_pool.h"
#include "upstream/connection_pool.h"
#include "upstream/load_balancer.h"
#include "upstream/request_body.h"
#include "upstream/upstream_error.h"

namespace postern::upstream {

// What the exchange asks of the connection and request it serves (the proxy session).
class ExchangeHost {
 public:
  virtual ~ExchangeHost() = default;
  // The request head for `endpoint`, into `out`.
  virtual void build_head(const config::Endpoint& endpoint, std::string& out) = 0;
  // Deadlines: a deadline cancels the active connection's I/O, and timed_out() says so.
  virtual void arm_connect() = 0;
  virtual void arm_response(Millis timeout) = 0;
  virtual void set_active(UpstreamConnection* conn) = 0;
  virtual bool timed_out() const = 0;
  virtual bool closing() const = 0;  // the client side is being torn down
  virtual void count_connection(bool reused) = 0;
};

class Exchange {
 public:
  struct Outcome {
    enum class Kind : uint8_t {
      kResponse,    // a response head is in response(); read its body, then release()
      kFailed,      // no response: `failure` says why (502/503/504)
      kBodyError,   // the client's body was bad (`body` says how)
      kClientGone,  // the client went away while sending its body
    } kind = Kind::kFailed;
    UpstreamError failure = UpstreamError::kConnectFailed;
    RequestBody::Status body = RequestBody::Status::kPiece;
  };

  // `head` is scratch for the request head (its capacity is reused across requests).
  // `hosts`: the worker's record sets of host-name endpoints (null: they have no addresses).
  Exchange(ConnectionPool& pool, BufferPool& buffers, ExchangeHost& host, bool verify_tls, std::string& head,
           HostCache* hosts = nullptr)
      : pool_(pool), buffers_(buffers), host_(host), verify_tls_(verify_tls), head_(head), hosts_(hosts) {}
  ~Exchange();

  // `body` null: the request has none. `head_request`: the response has no body.
  net::awaitable<Outcome> run(const EndpointSet& endpoints, uint64_t round_robin, RequestBody* body, bool head_request,
                              http::ResponseHead& response);

  // After kResponse.
  UpstreamConnection& connection() { return *conn_; }
  PooledBuffer& buffer() { return buf_; }
  size_t head_end() const { return head_end_; }  // body bytes start here in buffer()
  size_t buffered() const { return end_; }       // … and end here
  // The endpoint last tried ("" before any).
  const char* endpoint_url() const { return endpoint_ ? endpoint_->url.c_str() : ""; }
  // Pools the connection when its exchange ended cleanly, else closes it.
  void release(bool reusable, SteadyTime now);

 private:
  // Sends the head and the body; returns kPiece on success or a body/client status.
  net::awaitable<RequestBody::Status> send(RequestBody& body, Millis timeout, net::error_code& ec);
  enum class HeadRead : uint8_t { kHead, kBad, kNeedMore, kFailed };
  // Looks for a final response head in what was read (interim 1xx heads are skipped).
  HeadRead parse_head(bool head_request, http::ResponseHead& response);

  ConnectionPool& pool_;
  BufferPool& buffers_;
  ExchangeHost& host_;
  bool verify_tls_;
  std::unique_ptr<UpstreamConnection> conn_;
  PooledBuffer buf_;
  std::string& head_;
  HostCache* hosts_;
  size_t head_end_ = 0;
  size_t end_ = 0;
  const config::Endpoint* endpoint_ = nullptr;
};

}  // namespace postern::upstream
