#pragma once
// One client connection, for its whole life, on one worker: wait for bytes, read a request
// head, route it, run the route's filters, forward it (upstream/exchange.h) and relay the
// response back, record it; repeat while keep-alive lasts (docs/architecture.md "Life of a
// request"). The session knows connections and requests; framing lives in ClientBody,
// upstream::Exchange and upstream::ResponseBody, policies in the filters.
#include <memory>
#include <string>

#include "filters/chain.h"
#include "filters/context.h"
#include "http/local_reply.h"
#include "net/asio.h"
#include "net/deadline_list.h"
#include "net/transport.h"
#include "server/client_body.h"
#include "server/in_flight.h"
#include "server/metrics.h"
#include "server/request_record.h"
#include "server/runtime.h"
#include "upstream/exchange.h"

namespace postern::server {

class Worker;

class ProxySession final : public net::DeadlineEntry, private upstream::ExchangeHost, private ClientIo {
 public:
  ProxySession(Worker& worker, net::Transport transport, size_t listener_index);
  ~ProxySession() override;

  // Serves the connection to its end (the worker's accept loop calls it once).
  static void spawn(std::unique_ptr<ProxySession> self);

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
  // How a request ended: whether the connection can carry another.
  enum class Outcome : uint8_t { kKeepAlive, kClose };

  void on_deadline() override;
  void arm_for(Phase phase, Millis timeout);

  // --- upstream::ExchangeHost ---
  void build_head(const config::Endpoint& endpoint, std::string& out) override;
  void arm_connect() override;
  void arm_response(Millis timeout) override;
  void set_active(upstream::UpstreamConnection* conn) override { active_upstream_ = conn; }
  bool timed_out() const override { return timed_out_; }
  bool closing() const override { return closing_; }
  void count_connection(bool reused) override;
  // --- ClientIo ---
  void arm_body_read() override;
  net::awaitable<bool> send_continue() override;
  net::awaitable<size_t> read_client(char* at, size_t room, net::error_code& ec) override;

  static net::awaitable<void> run(std::unique_ptr<ProxySession> self);
  // A plain-TCP connection idle this long gives up its coroutine frame (run()).
  static constexpr Millis kParkAfter{200};
  // Parked connection: waits for its next bytes without a coroutine frame.
  static void await_next_request(std::unique_ptr<ProxySession> self);
  // Per connection: the runtime in force, the TLS handshake. False: close.
  net::awaitable<bool> start();
  bool prepare_idle_wait();
  void release_if_idle();
  void note_client_certificate();
  // Bytes arrived on an idle connection: take the buffers and read what is there.
  void take_in_flight();
  net::awaitable<Outcome> handle_request();
  http::HeadScan scan_head();
  // Reads until a complete head; false with `failed` (after a reply when one is due) if
  // none came.
  net::awaitable<bool> read_head(http::HeadScan& scan, Outcome& failed);
  // Checks that need no route: path, query, size; then routing. Null: reply given.
  const filters::LocalReply* check_request(filters::LocalReply& scratch);
  // A filter waits: wait (or see the client leave), resume, until the chain is decided.
  // kWait back: the client left (the request is recorded as 499).
  net::awaitable<filters::FilterStatus> wait_for_filters(filters::RequestContext& ctx);
  // Waits for a filter's wait, or for the client to go away (false).
  net::awaitable<bool> wait_for_filter(net::awaitable<void> wait);
  net::awaitable<Outcome> forward(filters::RequestContext& ctx);
  net::awaitable<Outcome> relay_response(upstream::Exchange& exchange, filters::RequestContext& ctx);
  net::awaitable<Outcome> reply(const filters::LocalReply& reply);
  net::awaitable<Outcome> upstream_failed(upstream::UpstreamError failure, bool body_consumed);
  // The request ended: metrics, filters' completion hooks, access log, analytics event.
  void finish_request(int status);
  void note_error(int code, filters::ErrorSource source, std::string_view reason);
  // Every-event mode: writes the event before the response's last bytes go to the client,
  // so no response is ever received without its event on disk. Call only when
  // must_commit_event() (a coroutine call costs a frame even when it does nothing).
  bool must_commit_event();
  net::awaitable<void> commit_event(int status);
  RequestRecord record(int status);
  void begin_trace();
  // The address blocking and throttling see: the peer, or behind trusted proxies the nearest
  // X-Forwarded-For entry that is not one of them.
  std::string_view caller_ip();
  net::awaitable<bool> write_client(std::string_view a, std::string_view b = {});
  net::awaitable<void> linger_close();

  Worker& worker_;
  net::Transport transport_;
  size_t listener_index_;
  std::shared_ptr<const Runtime> runtime_;       // the runtime the current request started with
  std::shared_ptr<filters::WorkerSlots> slots_;  // this worker's filter state for runtime_
  std::string client_ip_;
  bool trusted_peer_ = false;
  std::string client_cert_subject_;  // verified client certificate (mutual TLS), else empty

  // Held only while a request is in flight (in_flight.h), with the request's state: [0, end_)
  // of its buffer holds data, [pos_, end_) is unparsed input.
  std::unique_ptr<InFlight> in_flight_;
  RequestState& state() { return in_flight_->state; }
  size_t pos_ = 0;
  size_t end_ = 0;

  Phase phase_ = Phase::kIdle;
  bool started_ = false;   // start() ran (run() is spawned again after a parked wait)
  bool park_due_ = false;  // the kIdle deadline armed is kParkAfter, not the idle timeout
  bool parked_ = false;    // idle without a coroutine frame (await_next_request)
  bool timed_out_ = false;
  bool drain_requested_ = false;
  // A request was answered on this connection. A drain closes only such connections when
  // idle: a new connection's first request may be on its way (the client just connected
  // and cannot know about the drain), so it is served, with Connection: close.
  bool served_ = false;
  bool closing_ = false;
  upstream::UpstreamConnection* active_upstream_ = nullptr;
};

}  // namespace postern::server
