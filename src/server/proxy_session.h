#pragma once
// One client connection, for its whole life, on one worker: read a request head, route it,
// forward it to an endpoint with its body streamed, stream the response back; repeat while
// keep-alive lasts (design.md "Life of a request").
#include <memory>
#include <string>

#include "analytics/event.h"
#include "http/chunked_decoder.h"
#include "http/head_parser.h"
#include "http/local_reply.h"
#include "net/asio.h"
#include "net/deadline_list.h"
#include "net/transport.h"
#include "router/route_table.h"
#include "server/metrics.h"
#include "server/runtime.h"
#include "upstream/connection_pool.h"

namespace postern::server {

class Worker;

class ProxySession final : public net::DeadlineEntry {
 public:
  ProxySession(Worker& worker, net::Transport transport, size_t listener_index);
  ~ProxySession() override;

  // Runs the connection to its end. Spawned by the worker's accept loop.
  static net::awaitable<void> run(std::unique_ptr<ProxySession> self);

  // Drain: an idle connection closes now; a busy one closes after its current response.
  void on_drain();
  // Drain deadline passed: close whatever is in progress.
  void force_close();

 private:
  // What the connection is waiting for; decides what a deadline means.
  enum class Phase : uint8_t {
    kHandshake,         // TLS handshake          -> close
    kIdle,              // keep-alive, no bytes    -> close quietly
    kReadHead,          // partial head            -> 408 and close
    kReadBody,          // request body            -> 408 and close
    kUpstreamConnect,   // connect + TLS           -> 504
    kUpstreamResponse,  // waiting for / reading the response -> 504 (before the head)
    kWriteClient,       // client not reading      -> close
  };
  // How a request ended, for metrics, logs and keep-alive.
  enum class Outcome : uint8_t { kKeepAlive, kClose };

  void on_deadline() override;
  void arm_for(Phase phase, Millis timeout);

  net::awaitable<void> serve();
  net::awaitable<Outcome> handle_request();
  net::awaitable<Outcome> forward(const RuntimeRoute& route, const RuntimeGroup* group,
                                  std::string_view upstream_path);
  net::awaitable<Outcome> local_reply(int status, int code, std::string_view message,
                                      std::string_view description, LocalReason reason,
                                      bool keep_alive, std::string_view extra_headers = {},
                                      std::string_view log_reason = {});
  void build_upstream_head(const RuntimeRoute& route, std::string_view upstream_path,
                           const config::Endpoint& endpoint);
  void build_response_head(const http::ResponseHead& resp, bool chunk_to_client, bool keep_alive);
  void finish_request(int status, std::string_view reason);
  // Analytics (docs/analytics.md): the current request as an event.
  void fill_event(analytics::Event& e, int status, uint64_t bytes_out);
  // Every-event mode: writes the event before the response's last bytes go to the client,
  // so no response is ever received without its event on disk. Call only when
  // must_commit_event() (a coroutine call costs a frame even when it does nothing).
  bool must_commit_event();
  net::awaitable<void> commit_event(int status, uint64_t bytes_out);
  // Trace context for this request: the client's traceparent continued, or a new trace.
  void begin_trace();
  // The address blocking and throttling see: the peer, or behind trusted proxies the nearest
  // X-Forwarded-For entry that is not one of them.
  std::string_view caller_ip();
  net::awaitable<bool> write_client(std::string_view a, std::string_view b = {});

  Worker& worker_;
  net::Transport transport_;
  size_t listener_index_;
  std::shared_ptr<const Runtime> runtime_;  // the runtime the current request started with
  std::string client_ip_;
  uint16_t client_port_ = 0;
  bool trusted_peer_ = false;
  std::string client_cert_subject_;  // verified client certificate (mutual TLS), else empty
  std::string header_cert_subject_;  // per request: a certificate a trusted proxy forwarded

  // Read buffer for the client side: [0, end_) holds data; [head_begin_, body_begin_) is the
  // current request head (header views point into it), [pos_, end_) is unparsed input.
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t pos_ = 0;
  size_t end_ = 0;

  Phase phase_ = Phase::kIdle;
  bool timed_out_ = false;
  bool drain_requested_ = false;
  bool closing_ = false;
  upstream::UpstreamConnection* active_upstream_ = nullptr;

  // Per request state (reset by handle_request).
  http::RequestHead req_;
  std::string path_;        // normalized path
  std::string request_id_;
  std::string out_;         // outgoing head scratch, capacity reused
  std::string chunk_;       // decoded chunk payload scratch
  std::string scratch_;     // chunk framing scratch
  http::ChunkedDecoder chunked_;
  http::ResponseHead resp_;
  const RuntimeRoute* route_ = nullptr;
  std::shared_ptr<const filters::Identity> identity_;  // who the caller is, once authenticated
  std::string_view strip_header_;  // credential header the backend must not see
  std::string_view strip_query_param_;  // credential query parameter the backend must not see
  std::string_view add_header_name_;    // a header the gateway sets (backend JWT), lower-case
  std::string add_header_value_;        // owned: the filter's copy may be gone after a suspension
  const char* endpoint_text_ = "";
  std::string response_headers_;  // added to the client's response (RateLimit-*)
  std::string caller_ip_;         // the client behind trusted proxies (X-Forwarded-For), else empty
  std::vector<filters::ByteCharge> byte_charges_;  // bandwidth quotas to charge when done
  SteadyTime started_{};
  SteadyTime upstream_started_{};
  uint64_t upstream_us_ = 0;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
  router::MatchResult match_;
  // Why the request failed, for its analytics event ("" source = it did not).
  int error_code_ = 0;
  const char* error_source_ = "";
  std::string error_reason_;
  bool event_recorded_ = false;
  std::string trace_id_;          // 32 hex digits
  std::string traceparent_;       // what the backend receives
  std::string_view tracestate_;   // forwarded with a continued trace
};

}  // namespace postern::server
