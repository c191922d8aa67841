#include "server/proxy_session.h"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include "core/clock.h"
#include "core/log.h"
#include "core/strings.h"
#include "http/forward_head.h"
#include "http/path_normalizer.h"
#include "http/trace_context.h"
#include "server/request_record.h"
#include "server/worker.h"
#include "upstream/response_body.h"

namespace postern::server {
namespace {

using filters::ErrorSource;
using filters::LocalReply;
using filters::ReplyReason;

SteadyTime now() { return std::chrono::steady_clock::now(); }

uint64_t micros_since(SteadyTime t) {
  return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(now() - t).count());
}

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

ReplyReason reason_for_status(int status) {
  switch (status) {
    case 408: return ReplyReason::kTimeout;
    case 413:
    case 414:
    case 431: return ReplyReason::kTooLarge;
    case 501:
    case 505: return ReplyReason::kNotImplemented;
    default: return ReplyReason::kBadRequest;
  }
}

// A malformed request: the reply closes the connection (what follows cannot be trusted).
LocalReply bad_request(int status, std::string_view description) {
  LocalReply r = filters::error_reply(status, status, http::reason_phrase(status), description,
                                      reason_for_status(status), ErrorSource::kGateway);
  r.keep_alive = false;
  return r;
}

}  // namespace

ProxySession::ProxySession(Worker& worker, net::Transport transport, size_t listener_index)
    : worker_(worker), transport_(std::move(transport)), listener_index_(listener_index) {
  net::error_code ec;
  auto ep = transport_.socket().remote_endpoint(ec);
  if (!ec) {
    auto addr = ep.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped())
      addr = net::asio::ip::make_address_v4(net::asio::ip::v4_mapped, addr.to_v6());
    client_ip_ = addr.to_string();
    trusted_peer_ = worker_.runtime()->is_trusted_proxy(addr);
  }
  // Reads that find nothing return at once instead of blocking the worker (take_in_flight).
  transport_.socket().non_blocking(true, ec);
  worker_.sessions().add(*this);
}

ProxySession::~ProxySession() {
  worker_.sessions().remove(*this);
  transport_.close();
  worker_.in_flight_pool().give(std::move(in_flight_));
  worker_.session_closed();
}

void ProxySession::on_deadline() {
  if (phase_ == Phase::kIdle && park_due_ && !closing_) {
    // Idle for kParkAfter: end run()'s wait; it parks the connection with the rest of the
    // idle timeout (prepare_idle_wait armed only kParkAfter of it).
    park_due_ = false;
    parked_ = true;
    arm(now() + runtime_->config->gateway.limits.idle_timeout - kParkAfter);
    transport_.cancel();
    return;
  }
  timed_out_ = true;
  transport_.cancel();
  if (active_upstream_) active_upstream_->transport.cancel();
}

void ProxySession::on_drain() {
  drain_requested_ = true;
  if (phase_ == Phase::kIdle && served_) {
    closing_ = true;
    transport_.cancel();
  }
}

void ProxySession::force_close() {
  closing_ = true;
  on_deadline();
}

void ProxySession::arm_for(Phase phase, Millis timeout) {
  phase_ = phase;
  timed_out_ = false;
  arm(now() + timeout);
}

void ProxySession::arm_connect() {
  arm_for(Phase::kUpstreamConnect, runtime_->config->gateway.limits.upstream_connect_timeout);
}

void ProxySession::arm_response(Millis timeout) { arm_for(Phase::kUpstreamResponse, timeout); }

void ProxySession::arm_body_read() { arm_for(Phase::kReadBody, runtime_->config->gateway.limits.body_timeout); }

void ProxySession::count_connection(bool reused) {
  auto& m = worker_.metrics();
  (reused ? m.upstream_connections_reused : m.upstream_connections_opened).add();
}

net::awaitable<bool> ProxySession::send_continue() {
  static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
  bool ok = co_await write_client(k100);
  if (!ok) closing_ = true;
  co_return ok;
}

net::awaitable<size_t> ProxySession::read_client(char* at, size_t room, net::error_code& ec) {
  size_t n = co_await transport_.read_some(net::asio::buffer(at, room), ec);
  if (ec) closing_ = true;
  co_return n;
}

void ProxySession::spawn(std::unique_ptr<ProxySession> self) {
  auto executor = self->transport_.socket().get_executor();
  net::asio::co_spawn(executor, run(std::move(self)), net::asio::detached);
}

// Serves the connection while it is busy. It has few locals on purpose (GCC keeps every
// local and temporary of a coroutine in its frame), and requests run in frames of their
// own. A plain-TCP connection that stays idle longer than kParkAfter is parked: this
// coroutine ends, and only the session and a readiness wait remain (await_next_request),
// which spawns run() again when bytes arrive. Busy connections never pay for that spawn.
net::awaitable<void> ProxySession::run(std::unique_ptr<ProxySession> self) {
  ProxySession& s = *self;
  if (!s.started_ && !co_await s.start()) co_return;
  while (!s.closing_) {
    if (!s.in_flight_) {
      if (!s.prepare_idle_wait()) break;
      if (!s.transport_.is_tls()) {
        net::error_code ec;
        co_await s.transport_.socket().async_wait(net::tcp::socket::wait_read, net::with_ec(ec));
        if (s.parked_ && !s.closing_) {
          await_next_request(std::move(self));
          co_return;
        }
        if (ec || s.closing_) break;  // idle timeout, drain, or the socket failed
      }
      // TLS waits in read_head holding its buffers: OpenSSL may hold decrypted bytes the
      // socket no longer shows, so socket readiness says nothing.
      s.take_in_flight();
    }
    if (co_await s.handle_request() == Outcome::kClose) break;
    s.release_if_idle();
  }
  s.disarm();
}

void ProxySession::await_next_request(std::unique_ptr<ProxySession> self) {
  net::tcp::socket& socket = self->transport_.socket();
  socket.async_wait(net::tcp::socket::wait_read, [self = std::move(self)](net::error_code ec) mutable {
    // An error is the idle timeout, a drain or a failed socket: the session ends here.
    if (ec || self->closing_) return self->disarm();
    self->parked_ = false;
    self->take_in_flight();
    spawn(std::move(self));
  });
}

net::awaitable<bool> ProxySession::start() {
  started_ = true;
  runtime_ = worker_.runtime();
  slots_ = worker_.slots();
  if (!transport_.is_tls()) co_return true;
  arm_for(Phase::kHandshake, runtime_->config->gateway.limits.header_timeout);
  net::error_code ec;
  co_await transport_.accept_tls(ec);
  if (ec) co_return false;
  note_client_certificate();
  co_return true;
}

bool ProxySession::prepare_idle_wait() {
  if (drain_requested_ && served_) return false;
  runtime_ = worker_.runtime();  // limits for the wait come from the config in force now
  slots_ = worker_.slots();
  const Millis idle_timeout = runtime_->config->gateway.limits.idle_timeout;
  park_due_ = !transport_.is_tls() && idle_timeout > kParkAfter;
  arm_for(Phase::kIdle, park_due_ ? kParkAfter : idle_timeout);
  return true;
}

void ProxySession::release_if_idle() {
  // Nothing left unparsed: the buffers go back to the worker until the next bytes.
  if (pos_ != end_ || transport_.is_tls()) return;
  in_flight_->filters.reset();  // nothing of the request waits in the pool
  worker_.in_flight_pool().give(std::move(in_flight_));
  pos_ = end_ = 0;
}

void ProxySession::note_client_certificate() {
  // Mutual TLS: remember who the verified client is (the handshake already failed for a
  // presented but invalid certificate). Not in a coroutine: its locals would live in the
  // coroutine frame.
  if (X509* cert = SSL_get1_peer_certificate(transport_.ssl())) {
    if (SSL_get_verify_result(transport_.ssl()) == X509_V_OK) {
      char dn[512];
      X509_NAME_oneline(X509_get_subject_name(cert), dn, sizeof dn);
      client_cert_subject_ = dn;
    }
    X509_free(cert);
  }
}

void ProxySession::take_in_flight() {
  const auto& limits = runtime_->config->gateway.limits;
  in_flight_ = worker_.in_flight_pool().take(limits.max_header_bytes + 16 * 1024);
  pos_ = end_ = 0;
  if (transport_.is_tls()) return;
  // The socket is readable: read what is there now, without a coroutine round trip (the
  // socket is non-blocking; nothing there yet is fine, read_head waits for it).
  arm_for(Phase::kReadHead, limits.header_timeout);
  net::error_code ec;
  size_t n = transport_.socket().read_some(net::asio::buffer(in_flight_->buf.get(), in_flight_->cap), ec);
  if (!ec) end_ = n;
}

http::HeadScan ProxySession::scan_head() {
  // The buffer was sized for the limit in force when it was taken; a reload that raised
  // the limit applies from the next buffer on.
  const InFlight& in = *in_flight_;
  const size_t limit = std::min(runtime_->config->gateway.limits.max_header_bytes, in.cap - 4096);
  return http::find_head_end(in.buf.get(), end_, limit, 431);
}

net::awaitable<bool> ProxySession::read_head(http::HeadScan& scan, Outcome& failed) {
  InFlight& in = *in_flight_;
  const auto& limits = runtime_->config->gateway.limits;
  if (end_ > 0 || !transport_.is_tls()) arm_for(Phase::kReadHead, limits.header_timeout);
  else arm_for(Phase::kIdle, limits.idle_timeout);
  for (;;) {
    if (end_ > 0) {
      scan = scan_head();
      if (scan.kind == http::HeadScan::Kind::kComplete) co_return true;
      if (scan.kind == http::HeadScan::Kind::kError) {
        in.request.keep_alive = false;
        failed = co_await reply(bad_request(scan.error.status, scan.error.reason));
        co_return false;
      }
    }
    net::error_code ec;
    size_t n = co_await transport_.read_some(net::asio::buffer(in.buf.get() + end_, in.cap - end_), ec);
    if (ec) {
      failed = Outcome::kClose;
      if (timed_out_ && phase_ == Phase::kReadHead && !closing_) {
        in.request.keep_alive = false;
        failed = co_await reply(bad_request(408, "the request head did not arrive in time"));
      }
      co_return false;
    }
    if (phase_ == Phase::kIdle) {
      state().started = now();
      arm_for(Phase::kReadHead, limits.header_timeout);
    }
    end_ += n;
  }
}

net::awaitable<ProxySession::Outcome> ProxySession::handle_request() {
  InFlight& in = *in_flight_;
  if (pos_ > 0) {  // the next pipelined request moves to the front
    std::memmove(in.buf.get(), in.buf.get() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (drain_requested_ && end_ == 0 && served_) co_return Outcome::kClose;
  in.state = RequestState{};
  state().started = now();
  in.request.clear();
  in.path.clear();
  in.filters.reset();

  http::HeadScan scan;
  if (end_ > 0) scan = scan_head();
  if (scan.kind != http::HeadScan::Kind::kComplete) {
    Outcome failed = Outcome::kClose;
    if (!co_await read_head(scan, failed)) co_return failed;
  }

  // A keep-alive connection picks up a reloaded config between requests, never within one.
  if (runtime_ != worker_.runtime()) {
    runtime_ = worker_.runtime();
    slots_ = worker_.slots();
  }
  const auto& gw = runtime_->config->gateway;
  http::HeadError err = http::parse_request_head(in.buf.get() + scan.skip, scan.head_end - scan.skip,
                                                 gw.limits.max_uri_bytes, in.request);
  pos_ = scan.head_end;
  if (err) {
    in.request.keep_alive = false;
    co_return co_await reply(bad_request(err.status, err.reason));
  }
  const http::Header* rid = http::find_header(in.request.headers, "x-request-id");
  if (rid && valid_request_id(rid->value)) {
    state().request_id.assign(rid->value);
  } else {
    thread_local std::string id;
    worker_.make_request_id(id);
    state().request_id.assign(id);
  }
  begin_trace();

  if (const LocalReply* refused = check_request(in.refusal)) co_return co_await reply(*refused);

  filters::RequestContext& ctx = in.filters.emplace(in.request, in.path, *state().route->route, *slots_,
                                                    SystemClock::instance().unix_micros() / 1'000);
  ctx.client_ip = caller_ip();
  ctx.client_cert_subject = client_cert_subject_;
  ctx.tls = transport_.is_tls();
  ctx.trusted_peer = trusted_peer_;
  ctx.block_list = worker_.block_list();
  state().filters = &ctx;
  filters::FilterStatus st = state().route->chain.run(ctx);
  if (st == filters::FilterStatus::kWait) {
    st = co_await wait_for_filters(ctx);
    if (st == filters::FilterStatus::kWait) co_return Outcome::kClose;  // the client went away meanwhile
  }
  if (st == filters::FilterStatus::kReply) co_return co_await reply(ctx.reply);
  co_return co_await forward(ctx);
}

const LocalReply* ProxySession::check_request(LocalReply& r) {
  InFlight& in = *in_flight_;
  const http::RequestHead& req = in.request;
  const auto& gw = runtime_->config->gateway;
  if (req.upgrade_websocket) {
    r = bad_request(501, "WebSocket upgrades are not supported yet");
    return &r;
  }
  http::PathError perr = http::normalize_path(req.path, in.path, gw.forwarding.allow_encoded_slash);
  if (perr != http::PathError::kNone) {
    in.path.assign(req.path);
    r = bad_request(400, http::path_error_text(perr));
    return &r;
  }
  if (req.has_query && !http::query_is_valid(req.query)) {
    r = bad_request(400, "invalid character in query string");
    return &r;
  }
  if (gw.limits.max_body_bytes && req.framing == http::BodyFraming::kContentLength &&
      req.content_length > gw.limits.max_body_bytes) {
    r = bad_request(413, "the request body is larger than limits.max_body_bytes");
    return &r;
  }
  runtime_->config->route_table.match(router::method_from_string(req.method), in.path, in.match);
  if (in.match.kind == router::MatchResult::Kind::kMatched &&
      !runtime_->routes[in.match.route_id].route->api->served_on(transport_.is_tls())) {
    in.match.kind = router::MatchResult::Kind::kNotFound;  // x-wso2-transports: not on this listener
  }
  if (in.match.kind == router::MatchResult::Kind::kNotFound) {
    r = filters::error_reply(404, 404, "Not Found", "no API resource matches the request path", ReplyReason::kNotFound,
                             ErrorSource::kGateway);
    return &r;
  }
  if (in.match.kind == router::MatchResult::Kind::kMethodNotAllowed) {
    r = filters::error_reply(405, 405, "Method Not Allowed", "the resource does not support this method",
                             ReplyReason::kMethodNotAllowed, ErrorSource::kGateway);
    r.headers = "Allow: ";
    bool first = true;
    for (int m = 0; m < router::kMethodCount; ++m) {
      if (in.match.allowed_methods & (1u << m)) {
        if (!first) r.headers += ", ";
        r.headers += router::method_name(router::Method(m));
        first = false;
      }
    }
    r.headers += "\r\n";
    return &r;
  }
  state().route = &runtime_->routes[in.match.route_id];
  return nullptr;
}

net::awaitable<filters::FilterStatus> ProxySession::wait_for_filters(filters::RequestContext& ctx) {
  const filters::FilterChain& chain = state().route->chain;
  filters::FilterStatus st = filters::FilterStatus::kWait;
  while (st == filters::FilterStatus::kWait) {
    if (!co_await wait_for_filter(std::move(*ctx.wait))) {
      chain.cancel(ctx);
      closing_ = true;
      note_error(0, ErrorSource::kClient, "client closed the connection while the request waited");
      finish_request(499);
      co_return st;
    }
    st = chain.resume(ctx);
  }
  co_return st;
}

net::awaitable<bool> ProxySession::wait_for_filter(net::awaitable<void> wait) {
  // TLS: a close_notify arrives as bytes, indistinguishable here from a pipelined request,
  // so only plain connections are watched (docs/architecture.md "Waiting filters").
  if (transport_.is_tls() || end_ > pos_) {
    co_await std::move(wait);
    co_return true;
  }
  auto client_gone = [this]() -> net::awaitable<void> {
    // Completes when the client has closed its side. Bytes that arrive (the next request
    // of a pipelining client) are left in the socket, and the watch parks until cancelled.
    const int fd = transport_.socket().native_handle();
    for (;;) {
      net::error_code ec;
      co_await transport_.socket().async_wait(net::tcp::socket::wait_read, net::with_ec(ec));
      auto cs = co_await net::asio::this_coro::cancellation_state;
      if (cs.cancelled() != net::asio::cancellation_type::none) co_return;  // the wait finished first
      char c;
      ssize_t n = ec ? 1 : ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);  // ec: a deadline cancelled the socket
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) co_return;
      if (n > 0) {
        net::asio::steady_timer park(worker_.loop(), SteadyTime::max());
        co_await park.async_wait(net::with_ec(ec));
        co_return;  // only when the wait finished first: the result is discarded
      }
    }
  };
  using namespace net::asio::experimental::awaitable_operators;
  auto first = co_await (std::move(wait) || client_gone());
  co_return first.index() == 0;
}

void ProxySession::build_head(const config::Endpoint& endpoint, std::string& out) {
  const InFlight& in = *in_flight_;
  const filters::RequestContext& ctx = *state().filters;
  const auto& fwd = runtime_->config->gateway.forwarding;
  std::string_view rest(in.path);
  const std::string& base = state().route->route->api->base_path;
  if (rest.size() >= base.size()) rest.remove_prefix(base.size());
  if (rest.empty()) rest = "/";
  http::UpstreamHead h{
      .request = in.request,
      .base_path = endpoint.base_path,
      .base_query = endpoint.query,
      .path = rest,
      .host = fwd.preserve_host && !in.request.host.empty() ? in.request.host : std::string_view(endpoint.host_header),
      .strip_query_param = ctx.strip_query_param,
      .edits = ctx.upstream_headers,
      .trusted_peer = trusted_peer_,
      .peer_ip = client_ip_,
      .tls = transport_.is_tls(),
      .request_id = state().request_id,
      .traceparent = state().traceparent,
      .tracestate = state().tracestate,
  };
  http::build_upstream_head(out, h);
}

net::awaitable<ProxySession::Outcome> ProxySession::forward(filters::RequestContext& ctx) {
  const RuntimeRoute& route = *state().route;
  const upstream::EndpointSet* endpoints = ctx.use_sandbox ? route.sandbox.get() : route.production.get();
  if (!endpoints || endpoints->endpoints.empty()) {
    co_return co_await reply(filters::error_reply(502, 502, "Bad Gateway", "the route has no production endpoint",
                                                  ReplyReason::kBadRequest, ErrorSource::kGateway));
  }
  InFlight& in = *in_flight_;
  const auto& gw = runtime_->config->gateway;
  upstream::Exchange exchange(worker_.pool(), worker_.upstream_buffers(), *this, gw.upstream_tls.verify, in.head,
                              &worker_.hosts());
  std::optional<ClientBody> body;
  if (in.request.framing != http::BodyFraming::kNone)
    body.emplace(static_cast<ClientIo&>(*this), in.request, in.buf.get(), in.cap, pos_, end_, gw.limits.max_body_bytes,
                 in.chunk);
  const SteadyTime upstream_started = now();
  auto out = co_await exchange.run(*endpoints, worker_.next_round_robin(), body ? &*body : nullptr,
                                   in.request.method == "HEAD", in.response);
  state().endpoint = exchange.endpoint_url();
  state().bytes_in = body ? body->bytes() : 0;
  state().upstream_us = micros_since(upstream_started);
  using Kind = upstream::Exchange::Outcome::Kind;
  switch (out.kind) {
    case Kind::kResponse: co_return co_await relay_response(exchange, ctx);
    case Kind::kBodyError:
      in.request.keep_alive = false;
      if (out.body == upstream::RequestBody::Status::kTooLarge)
        co_return co_await reply(bad_request(413, "the request body is larger than limits.max_body_bytes"));
      co_return co_await reply(bad_request(400, body->framing_error()));
    case Kind::kClientGone:
      closing_ = true;
      note_error(0, ErrorSource::kClient, "client closed connection during the request body");
      finish_request(499);
      co_return Outcome::kClose;
    case Kind::kFailed: break;
  }
  // The connection can carry another request only when this one's body was read whole.
  const bool body_consumed = !body || (!body->chunked() && body->consumed());
  co_return co_await upstream_failed(out.failure, body_consumed);
}

net::awaitable<ProxySession::Outcome> ProxySession::upstream_failed(upstream::UpstreamError failure,
                                                                    bool body_consumed) {
  worker_.metrics().upstream_errors[size_t(failure)].add();
  using E = upstream::UpstreamError;
  const bool timeout = failure == E::kResponseTimeout || failure == E::kConnectTimeout;
  if (failure == E::kUnresolved) {
    if (body_consumed) in_flight_->request.framing = http::BodyFraming::kNone;
    co_return co_await reply(filters::error_reply(503, 503, "Service Unavailable",
                                                  "the API's backend host name does not resolve (yet)",
                                                  ReplyReason::kUnavailable, ErrorSource::kUpstream));
  }
  const int status = timeout ? 504 : 502;
  const char* desc = "";
  switch (failure) {
    case E::kConnectFailed: desc = "could not connect to any endpoint of the API"; break;
    case E::kConnectTimeout: desc = "connecting to the endpoint timed out"; break;
    case E::kResponseTimeout: desc = "the endpoint did not respond in time"; break;
    case E::kReset: desc = "the endpoint closed the connection before responding"; break;
    case E::kBadResponse: desc = "the endpoint sent an invalid HTTP response"; break;
    case E::kUnresolved: break;
    case E::kCount: break;
  }
  if (body_consumed) in_flight_->request.framing = http::BodyFraming::kNone;
  co_return co_await reply(filters::error_reply(status, status, timeout ? "Gateway Timeout" : "Bad Gateway", desc,
                                                ReplyReason::kBadRequest, ErrorSource::kUpstream));
}

net::awaitable<ProxySession::Outcome> ProxySession::relay_response(upstream::Exchange& exchange,
                                                                   filters::RequestContext& ctx) {
  InFlight& in = *in_flight_;
  const http::RequestHead& req = in.request;
  const http::ResponseHead& resp = in.response;
  const filters::FilterChain& chain = state().route->chain;
  const Millis timeout = (ctx.use_sandbox ? state().route->sandbox : state().route->production)->response_timeout;
  // A body a filter may change has no length known in advance: it goes chunked.
  const bool body_filters = chain.has_response_body_hooks() && resp.framing != http::BodyFraming::kNone;
  bool client_keep = req.keep_alive && !drain_requested_ && !closing_;
  bool chunked = false;
  if (resp.framing == http::BodyFraming::kChunked || resp.framing == http::BodyFraming::kUntilClose || body_filters) {
    if (req.version_minor >= 1) chunked = true;
    else client_keep = false;  // HTTP/1.0: the end of the body is the end of the connection
  }
  filters::ResponseInfo info{resp.status, false};
  if (chain.has_response_head_hooks()) chain.response_head(ctx, info);
  const int status = info.status;
  http::build_client_response_head(in.head, {.response = resp,
                                             .status = status,
                                             .chunked = chunked,
                                             .length_known = !body_filters,
                                             .keep_alive = client_keep,
                                             .client_version_minor = req.version_minor,
                                             .request_id = state().request_id,
                                             .edits = ctx.response_headers});

  upstream::ResponseBody body(resp, exchange.buffer().data(), exchange.buffer().size(), exchange.head_end(),
                              exchange.buffered(), in.chunk);
  static constexpr std::string_view kCrlf = "\r\n";
  static constexpr std::string_view kLast = "0\r\n\r\n";
  bool head_pending = true;
  bool client_ok = true;
  bool framing_error = false;
  net::error_code ec;
  set_active(&exchange.connection());
  for (;;) {
    std::string_view data;
    bool last = false;
    auto step = body.take(data, last);
    if (step == upstream::ResponseBody::Step::kError) {
      framing_error = true;
      break;
    }
    if (step == upstream::ResponseBody::Step::kNeedMore) {
      if (head_pending) {  // the client sees the head while the body is still coming
        client_ok = co_await write_client(in.head);
        head_pending = false;
        if (!client_ok) break;
      }
      arm_for(Phase::kUpstreamResponse, timeout);
      if (!co_await body.fill(exchange.connection(), ec)) break;
      continue;
    }
    if (body_filters) {
      in.piece.assign(data);
      chain.response_body(ctx, in.piece, last);
      data = in.piece;
    }
    std::string& size_line = in.frame;
    size_line.clear();
    if (chunked && !data.empty()) {
      append_hex(size_line, data.size());
      size_line += kCrlf;
    }
    state().bytes_out += data.size();
    if (last && must_commit_event()) co_await commit_event(status);
    std::array<net::asio::const_buffer, 5> bufs;
    size_t n = 0;
    if (head_pending) bufs[n++] = net::asio::buffer(in.head);
    if (!size_line.empty()) bufs[n++] = net::asio::buffer(size_line);
    if (!data.empty()) bufs[n++] = net::asio::buffer(data.data(), data.size());
    if (!size_line.empty()) bufs[n++] = net::asio::buffer(kCrlf.data(), kCrlf.size());
    if (last && chunked) bufs[n++] = net::asio::buffer(kLast.data(), kLast.size());
    head_pending = false;
    if (n > 0) {
      arm_for(Phase::kWriteClient, runtime_->config->gateway.limits.idle_timeout);
      net::error_code wec;
      co_await transport_.write(std::span<const net::asio::const_buffer>(bufs.data(), n), wec);
      client_ok = !wec;
    }
    if (!client_ok || last) break;
  }
  set_active(nullptr);
  auto& metrics = worker_.metrics();
  if (timed_out_ && phase_ == Phase::kUpstreamResponse)
    metrics.upstream_errors[size_t(upstream::UpstreamError::kResponseTimeout)].add();
  if (ec && !timed_out_ && ec != net::asio::error::eof)
    metrics.upstream_errors[size_t(upstream::UpstreamError::kReset)].add();
  exchange.release(resp.keep_alive && body.reusable() && !ec, now());
  if (!body.complete()) {
    client_keep = false;  // truncated: the client must see the connection end
    if (client_ok) {
      note_error(0, ErrorSource::kUpstream,
                 framing_error ? "the endpoint sent invalid chunked framing"
                               : "the endpoint's response body ended early");
    }
  }
  if (!client_ok) {
    note_error(0, ErrorSource::kClient, "client closed the connection during the response");
    finish_request(499);
    co_return Outcome::kClose;
  }
  finish_request(status);
  co_return client_keep ? Outcome::kKeepAlive : Outcome::kClose;
}

net::awaitable<ProxySession::Outcome> ProxySession::reply(const LocalReply& r) {
  InFlight& in = *in_flight_;
  // A request whose body was not read cannot share the connection with the next one.
  const bool keep = r.keep_alive && in.request.keep_alive && !drain_requested_ && !closing_ &&
                    in.request.framing == http::BodyFraming::kNone;
  worker_.metrics().local_replies[size_t(r.metric)].add();
  if (r.source != ErrorSource::kNone) {
    std::string reason(r.log_reason.empty() ? std::string_view(r.message) : r.log_reason);
    if (r.log_reason.empty() && !r.description.empty()) {
      reason += ": ";
      reason += r.description;
    }
    note_error(r.code, r.source, reason);
  }
  filters::ResponseInfo info{r.status, true};
  std::string_view more_headers;
  if (filters::RequestContext* ctx = state().filters) {
    if (state().route->chain.has_response_head_hooks()) state().route->chain.response_head(*ctx, info);
    more_headers = ctx->response_headers.added();
  }
  http::LocalReply wire{info.status, r.code, r.message, r.description, r.headers, more_headers, r.content_type, r.body};
  in.head.clear();
  http::append_local_reply(in.head, wire, keep, state().request_id, in.request.method == "HEAD");
  if (must_commit_event()) co_await commit_event(info.status);
  bool written = co_await write_client(in.head);
  finish_request(info.status);
  if (!keep && written) co_await linger_close();
  co_return (keep && written) ? Outcome::kKeepAlive : Outcome::kClose;
}

net::awaitable<void> ProxySession::linger_close() {
  // Stop sending, then drain what the client still sends for a moment so the kernel does
  // not answer it with a reset that destroys our reply in flight.
  net::error_code ec;
  transport_.socket().shutdown(net::tcp::socket::shutdown_send, ec);
  arm_for(Phase::kReadBody, Millis(1000));
  size_t drained = 0;
  InFlight& in = *in_flight_;
  while (!ec && drained < 256 * 1024) {
    drained += co_await transport_.read_some(net::asio::buffer(in.buf.get(), in.cap), ec);
  }
}

net::awaitable<bool> ProxySession::write_client(std::string_view a, std::string_view b) {
  arm_for(Phase::kWriteClient, runtime_->config->gateway.limits.idle_timeout);
  net::error_code ec;
  std::array<net::asio::const_buffer, 2> bufs{net::asio::buffer(a.data(), a.size()),
                                              net::asio::buffer(b.data(), b.size())};
  co_await transport_.write(std::span<const net::asio::const_buffer>(bufs.data(), b.empty() ? 1 : 2), ec);
  co_return !ec;
}

void ProxySession::note_error(int code, ErrorSource source, std::string_view reason) {
  if (state().error_source != ErrorSource::kNone) return;  // the first cause is the one recorded
  state().error_code = code;
  state().error_source = source;
  state().error_reason.assign(reason);
}

std::string_view ProxySession::caller_ip() {
  if (!state().caller_ip.empty()) return state().caller_ip;
  state().caller_ip = client_ip_;
  if (!trusted_peer_ || !in_flight_) return state().caller_ip;
  // Walk X-Forwarded-For from the right (the hop nearest to us) past our trusted proxies;
  // entries further left were written by whoever the client is and are never believed.
  std::string& found = in_flight_->caller_ip;
  found.clear();
  const auto& headers = in_flight_->request.headers;
  for (auto h = headers.rbegin(); h != headers.rend(); ++h) {
    if (h->kind != http::HeaderKind::kXForwardedFor) continue;
    std::string_view list = h->value;
    while (!list.empty()) {
      size_t comma = list.rfind(',');
      std::string_view entry = trim(comma == std::string_view::npos ? list : list.substr(comma + 1));
      list = comma == std::string_view::npos ? std::string_view() : list.substr(0, comma);
      net::error_code ec;
      auto addr = net::asio::ip::make_address(std::string(entry), ec);
      if (ec) {
        if (!found.empty()) state().caller_ip = found;
        return state().caller_ip;
      }
      if (addr.is_v6() && addr.to_v6().is_v4_mapped())
        addr = net::asio::ip::make_address_v4(net::asio::ip::v4_mapped, addr.to_v6());
      found = addr.to_string();
      if (!runtime_->is_trusted_proxy(addr)) {
        state().caller_ip = found;
        return state().caller_ip;
      }
    }
  }
  if (!found.empty()) state().caller_ip = found;
  return state().caller_ip;
}

RequestRecord ProxySession::record(int status) {
  const InFlight& in = *in_flight_;
  RequestRecord r;
  r.unix_micros = SystemClock::instance().unix_micros();
  r.request_id = state().request_id;
  r.trace_id = state().trace_id;
  r.node = runtime_->config->gateway.node_id;
  r.client_ip = caller_ip();
  r.method = in.request.method;
  r.path = in.path;
  if (const http::Header* ua = http::find_header(in.request.headers, "user-agent")) r.user_agent = ua->value;
  if (state().route != nullptr) r.route = state().route->route;
  if (state().filters != nullptr) r.identity = state().filters->identity.get();
  r.status = status;
  r.error_code = state().error_code;
  r.error_source = state().error_source;
  r.error_reason = state().error_reason;
  r.bytes_in = state().bytes_in;
  r.bytes_out = state().bytes_out;
  r.total_us = micros_since(state().started);
  r.upstream_us = state().upstream_us;
  r.endpoint = state().endpoint;
  return r;
}

void ProxySession::finish_request(int status) {
  served_ = true;
  auto& m = worker_.metrics();
  int cls = std::clamp(status / 100 - 1, 0, 4);
  m.route(state().route ? state().route->metrics_slot : 0).by_status_class[size_t(cls)].add();
  m.observe_latency(micros_since(state().started));
  if (state().filters != nullptr && state().route->chain.has_complete_hooks()) {
    state().route->chain.complete(*state().filters, {status, state().bytes_in, state().bytes_out});
  }
  auto& events = worker_.analytics();
  auto& log = worker_.access_log();
  if (!(events.enabled() && !state().recorded) && !log.enabled()) return;
  const RequestRecord r = record(status);
  if (events.enabled() && !state().recorded) {
    state().recorded = true;
    events.append(analytics_event(r));
  }
  if (log.enabled()) {
    std::string api;
    log.append(access_log_entry(r, api));
  }
}

bool ProxySession::must_commit_event() { return worker_.analytics().every_event() && !state().recorded; }

net::awaitable<void> ProxySession::commit_event(int status) {
  state().recorded = true;
  const RequestRecord r = record(status);
  // A stalled disk holds the response back (that is the promise of this mode); a client
  // that gives up meanwhile is closed by the write deadline.
  arm_for(Phase::kWriteClient, runtime_->config->gateway.limits.idle_timeout);
  co_await worker_.analytics().async_commit(analytics_event(r), net::asio::use_awaitable);
}

void ProxySession::begin_trace() {
  const http::Header* tp = nullptr;
  const auto& headers = in_flight_->request.headers;
  for (const auto& h : headers) {
    if (h.kind == http::HeaderKind::kTraceparent) {
      if (tp != nullptr) {  // two traceparent headers: neither is believed (spec §3.2)
        tp = nullptr;
        break;
      }
      tp = &h;
    }
  }
  http::TraceParent parent;
  uint8_t flags = 0x01;  // a new trace is sampled: the backend's tracer should record it
  thread_local std::string text;
  text.clear();
  if (tp != nullptr && http::parse_traceparent(tp->value, parent)) {
    text.assign(parent.trace_id);
    flags = parent.flags & 0x01;  // forward only the flags version 00 defines
    // tracestate belongs to the trace it came with. Only its first header line is forwarded
    // (a client splitting tracestate over several lines loses the later ones; docs say so).
    for (const auto& h : headers) {
      if (h.kind == http::HeaderKind::kTracestate) {
        state().tracestate = h.value;
        break;
      }
    }
  } else {
    append_hex(text, worker_.random64(), 16);
    append_hex(text, worker_.random64() | 1, 16);
  }
  state().trace_id.assign(text);
  text.clear();
  http::format_traceparent(text, state().trace_id, worker_.random64(), flags);
  state().traceparent.assign(text);
}

}  // namespace postern::server
