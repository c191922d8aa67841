#include "server/proxy_session.h"

#include "analytics/event_buffer.h"
#include "http/trace_context.h"

#include <cstring>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/strings.h"
#include "http/path_normalizer.h"
#include "server/introspector.h"
#include "server/worker.h"

namespace postern::server {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;

SteadyTime now() { return std::chrono::steady_clock::now(); }

uint64_t micros_since(SteadyTime t) {
  return uint64_t(duration_cast<microseconds>(now() - t).count());
}

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

void append_chunk_size(std::string& out, size_t n) {
  append_hex(out, n);
  out += "\r\n";
}

LocalReason reason_for_status(int status) {
  switch (status) {
    case 408: return LocalReason::kTimeout;
    case 413: case 414: case 431: return LocalReason::kTooLarge;
    case 501: case 505: return LocalReason::kNotImplemented;
    default: return LocalReason::kBadRequest;
  }
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
    client_port_ = ep.port();
    trusted_peer_ = worker_.runtime()->is_trusted_proxy(addr);
  }
  worker_.sessions().add(*this);
}

ProxySession::~ProxySession() {
  worker_.sessions().remove(*this);
  transport_.close();
  worker_.session_closed();
}

void ProxySession::on_deadline() {
  timed_out_ = true;
  transport_.cancel();
  if (active_upstream_) active_upstream_->transport.cancel();
}

void ProxySession::on_drain() {
  drain_requested_ = true;
  if (phase_ == Phase::kIdle) {
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

net::awaitable<void> ProxySession::run(std::unique_ptr<ProxySession> self) {
  co_await self->serve();
}

net::awaitable<void> ProxySession::serve() {
  runtime_ = worker_.runtime();
  const auto& limits = runtime_->config->gateway.limits;
  // Room for a maximal head plus body data behind it; a head never straddles a reallocation.
  cap_ = limits.max_header_bytes + 16 * 1024;
  buf_ = std::make_unique<char[]>(cap_);
  if (transport_.is_tls()) {
    arm_for(Phase::kHandshake, limits.header_timeout);
    net::error_code ec;
    co_await transport_.accept_tls(ec);
    if (ec) co_return;
    // Mutual TLS: remember who the verified client is (the handshake already failed for a
    // presented but invalid certificate).
    if (X509* cert = SSL_get1_peer_certificate(transport_.ssl())) {
      if (SSL_get_verify_result(transport_.ssl()) == X509_V_OK) {
        char dn[512];
        X509_NAME_oneline(X509_get_subject_name(cert), dn, sizeof dn);
        client_cert_subject_ = dn;
      }
      X509_free(cert);
    }
  }
  while (!closing_) {
    Outcome o = co_await handle_request();
    if (o == Outcome::kClose) break;
  }
  disarm();
}

namespace {

// Which part of the gateway refused a request, for the analytics event.
const char* error_source_for(LocalReason reason, int code) {
  switch (reason) {
    case LocalReason::kUnauthorized:
    case LocalReason::kForbidden: return "auth";
    case LocalReason::kThrottled: return "throttle";
    case LocalReason::kBlocked: return "blocked";
    case LocalReason::kUnavailable: return code >= 900800 && code < 900900 ? "throttle" : "auth";
    default: return "gateway";
  }
}

// The quota a WSO2 throttling code names.
std::string_view throttle_level_for(int code) {
  switch (code) {
    case 900800: return "api";
    case 900802: return "resource";
    case 900803: return "application";
    case 900804: return "subscription";
    default: return {};
  }
}

}  // namespace

net::awaitable<bool> ProxySession::write_client(std::string_view a, std::string_view b) {
  arm_for(Phase::kWriteClient, runtime_->config->gateway.limits.idle_timeout);
  net::error_code ec;
  std::array<net::asio::const_buffer, 2> bufs{net::asio::buffer(a.data(), a.size()),
                                              net::asio::buffer(b.data(), b.size())};
  co_await transport_.write(std::span<const net::asio::const_buffer>(bufs.data(), b.empty() ? 1 : 2), ec);
  co_return !ec;
}

net::awaitable<ProxySession::Outcome> ProxySession::local_reply(int status, int code,
                                                                std::string_view message,
                                                                std::string_view description,
                                                                LocalReason reason, bool keep_alive,
                                                                std::string_view extra_headers,
                                                                std::string_view log_reason) {
  // A request whose body was not read cannot share the connection with the next one.
  bool keep = keep_alive && req_.keep_alive && !drain_requested_ && !closing_ &&
              req_.framing == http::BodyFraming::kNone;
  out_.clear();
  http::LocalReply reply{status, code, message, description, extra_headers};
  http::append_local_reply(out_, reply, keep, request_id_, req_.method == "HEAD");
  worker_.metrics().local_replies[size_t(reason)].add();
  error_code_ = code;
  if (*error_source_ == '\0') error_source_ = error_source_for(reason, code);
  error_reason_.assign(log_reason.empty() ? message : log_reason);
  if (!description.empty() && log_reason.empty()) {
    error_reason_ += ": ";
    error_reason_.append(description);
  }
  if (must_commit_event()) co_await commit_event(status, 0);
  bool written = co_await write_client(out_);
  finish_request(status, log_reason.empty() ? message : log_reason);
  if (!keep && written) {
    // Lingering close: stop sending, then drain what the client still sends for a moment so
    // the kernel does not answer it with a reset that destroys our reply in flight.
    net::error_code ec;
    transport_.socket().shutdown(net::tcp::socket::shutdown_send, ec);
    arm_for(Phase::kReadBody, Millis(1000));
    size_t drained = 0;
    while (!ec && drained < 256 * 1024) {
      drained += co_await transport_.read_some(net::asio::buffer(buf_.get(), cap_), ec);
    }
  }
  co_return (keep && written) ? Outcome::kKeepAlive : Outcome::kClose;
}

std::string_view ProxySession::caller_ip() {
  if (!trusted_peer_) return client_ip_;
  // Walk X-Forwarded-For from the right (the hop nearest to us) past our trusted proxies;
  // entries further left were written by whoever the client is and are never believed.
  caller_ip_.clear();
  for (auto h = req_.headers.rbegin(); h != req_.headers.rend(); ++h) {
    if (h->kind != http::HeaderKind::kXForwardedFor) continue;
    std::string_view list = h->value;
    while (!list.empty()) {
      size_t comma = list.rfind(',');
      std::string_view entry = trim(comma == std::string_view::npos ? list : list.substr(comma + 1));
      list = comma == std::string_view::npos ? std::string_view() : list.substr(0, comma);
      net::error_code ec;
      auto addr = net::asio::ip::make_address(std::string(entry), ec);
      if (ec) return caller_ip_.empty() ? std::string_view(client_ip_) : std::string_view(caller_ip_);
      if (addr.is_v6() && addr.to_v6().is_v4_mapped())
        addr = net::asio::ip::make_address_v4(net::asio::ip::v4_mapped, addr.to_v6());
      caller_ip_ = addr.to_string();
      if (!runtime_->is_trusted_proxy(addr)) return caller_ip_;
    }
  }
  return caller_ip_.empty() ? std::string_view(client_ip_) : std::string_view(caller_ip_);
}

void ProxySession::finish_request(int status, std::string_view reason) {
  auto& m = worker_.metrics();
  uint32_t slot = route_ ? route_->metrics_slot : 0;
  int cls = status / 100 - 1;
  if (cls < 0) cls = 0;
  if (cls > 4) cls = 4;
  m.route(slot).by_status_class[size_t(cls)].add();
  uint64_t us = micros_since(started_);
  m.observe_latency(us);
  if (!byte_charges_.empty() && runtime_->throttle_store) {
    // Bandwidth quotas count what crossed the gateway for this call, both ways.
    int64_t now_ms = SystemClock::instance().unix_micros() / 1000;
    for (const auto& c : byte_charges_) {
      throttle::Quota q{c.tier->bytes, c.tier->unit_ms, c.tier->fail_closed};
      runtime_->throttle_store->charge(c.key, q, bytes_in_ + bytes_out_, now_ms);
    }
    byte_charges_.clear();
  }
  auto& events = worker_.analytics();
  if (events.enabled() && !event_recorded_) {
    if (status == 499 && *error_source_ == '\0') {
      error_source_ = "client";
      error_reason_.assign(reason);
    }
    analytics::Event e;
    fill_event(e, status, bytes_out_);
    event_recorded_ = true;
    events.append(e);
  }
  auto& log = worker_.access_log();
  if (log.enabled()) {
    AccessLogEntry e;
    e.unix_micros = SystemClock::instance().unix_micros();
    e.request_id = request_id_;
    e.trace_id = trace_id_;
    e.client_ip = client_ip_;
    e.method = req_.method;
    e.path = path_;
    std::string api;
    if (route_ && route_->route->api) {
      api = route_->route->api->name + ":" + route_->route->api->version;
      e.route = route_->route->full_template;
    }
    e.api = api;
    e.status = status;
    e.bytes_in = bytes_in_;
    e.bytes_out = bytes_out_;
    e.duration_us = us;
    e.upstream_us = upstream_us_;
    e.endpoint = endpoint_text_;
    e.reason = reason;
    log.append(e);
  }
}

void ProxySession::fill_event(analytics::Event& e, int status, uint64_t bytes_out) {
  e.unix_micros = SystemClock::instance().unix_micros();
  e.request_id = request_id_;
  e.trace_id = trace_id_;
  e.node = runtime_->config->gateway.node_id;
  if (route_ && route_->route->api) {
    const config::Api& api = *route_->route->api;
    e.api = api.name;
    e.api_version = api.version;
    e.api_owner = api.owner;
    e.base_path = api.base_path;
    e.resource = route_->route->resource_path;
  }
  e.method = req_.method;
  if (identity_) {
    e.app_id = identity_->application_id;
    e.app_name = identity_->application_name;
    e.consumer_key = identity_->consumer_key;
    e.user = identity_->subject;
    e.key_type = identity_->sandbox ? "SANDBOX" : "PRODUCTION";
  }
  e.client_ip = caller_ip_.empty() ? std::string_view(client_ip_) : std::string_view(caller_ip_);
  if (const http::Header* ua = http::find_header(req_.headers, "user-agent")) e.user_agent = ua->value;
  e.status = status;
  e.error_code = error_code_;
  e.error_source = error_source_;
  e.error_reason = error_reason_;
  if (e.error_source == std::string_view("throttle")) e.throttle_level = throttle_level_for(error_code_);
  e.bytes_in = bytes_in_;
  e.bytes_out = bytes_out;
  e.total_us = micros_since(started_);
  e.upstream_us = upstream_us_;
  e.endpoint = endpoint_text_;
}

bool ProxySession::must_commit_event() { return worker_.analytics().every_event() && !event_recorded_; }

net::awaitable<void> ProxySession::commit_event(int status, uint64_t bytes_out) {
  auto& events = worker_.analytics();
  analytics::Event e;
  fill_event(e, status, bytes_out);
  event_recorded_ = true;
  // A stalled disk holds the response back (that is the promise of this mode); a client
  // that gives up meanwhile is closed by the write deadline.
  arm_for(Phase::kWriteClient, runtime_->config->gateway.limits.idle_timeout);
  co_await events.async_commit(e, net::asio::use_awaitable);
}

void ProxySession::begin_trace() {
  trace_id_.clear();
  traceparent_.clear();
  tracestate_ = {};
  const http::Header* tp = nullptr;
  for (const auto& h : req_.headers) {
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
  if (tp != nullptr && http::parse_traceparent(tp->value, parent)) {
    trace_id_.assign(parent.trace_id);
    flags = parent.flags & 0x01;  // forward only the flags version 00 defines
    // tracestate belongs to the trace it came with. Only its first header line is forwarded
    // (a client splitting tracestate over several lines loses the later ones; docs say so).
    for (const auto& h : req_.headers) {
      if (h.kind == http::HeaderKind::kTracestate) {
        tracestate_ = h.value;
        break;
      }
    }
  } else {
    append_hex(trace_id_, worker_.random64(), 16);
    append_hex(trace_id_, worker_.random64() | 1, 16);
  }
  http::format_traceparent(traceparent_, trace_id_, worker_.random64(), flags);
}

net::awaitable<ProxySession::Outcome> ProxySession::handle_request() {
  // Limits for reading the head come from the config in force when the wait began; the
  // request itself runs with the config in force when its head is complete.
  if (runtime_ != worker_.runtime()) runtime_ = worker_.runtime();
  const auto& limits = runtime_->config->gateway.limits;

  if (pos_ > 0) {  // the next pipelined request moves to the front
    std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (drain_requested_ && end_ == 0) co_return Outcome::kClose;
  req_.clear();
  path_.clear();
  request_id_.clear();
  route_ = nullptr;
  identity_.reset();
  strip_header_ = {};
  strip_query_param_ = {};
  add_header_name_ = {};
  endpoint_text_ = "";
  response_headers_.clear();
  error_code_ = 0;
  error_source_ = "";
  error_reason_.clear();
  event_recorded_ = false;
  caller_ip_.clear();
  trace_id_.clear();
  byte_charges_.clear();
  upstream_us_ = bytes_in_ = bytes_out_ = 0;
  started_ = now();
  if (end_ > 0) arm_for(Phase::kReadHead, limits.header_timeout);
  else arm_for(Phase::kIdle, limits.idle_timeout);

  http::HeadScan scan;
  for (;;) {
    if (end_ > 0) {
      // The buffer was sized for the limit in force when the connection began; a reload
      // that raised the limit applies to new connections.
      scan = http::find_head_end(buf_.get(), end_, std::min(limits.max_header_bytes, cap_ - 4096), 431);
      if (scan.kind == http::HeadScan::Kind::kComplete) break;
      if (scan.kind == http::HeadScan::Kind::kError) {
        req_.keep_alive = false;
        co_return co_await local_reply(scan.error.status, scan.error.status,
                                       http::reason_phrase(scan.error.status), scan.error.reason,
                                       reason_for_status(scan.error.status), false);
      }
    }
    net::error_code ec;
    size_t n = co_await transport_.read_some(net::asio::buffer(buf_.get() + end_, cap_ - end_), ec);
    if (ec) {
      if (timed_out_ && phase_ == Phase::kReadHead && !closing_) {
        req_.keep_alive = false;
        co_return co_await local_reply(408, 408, "Request Timeout",
                                       "the request head did not arrive in time", LocalReason::kTimeout,
                                       false);
      }
      co_return Outcome::kClose;
    }
    if (phase_ == Phase::kIdle) {
      started_ = now();
      arm_for(Phase::kReadHead, limits.header_timeout);
    }
    end_ += n;
  }

  // A keep-alive connection picks up a reloaded config between requests, never within one.
  if (runtime_ != worker_.runtime()) runtime_ = worker_.runtime();
  const auto& gw = runtime_->config->gateway;
  http::HeadError err = http::parse_request_head(buf_.get() + scan.skip, scan.head_end - scan.skip,
                                                 gw.limits.max_uri_bytes, req_);
  pos_ = scan.head_end;
  if (err) {
    req_.keep_alive = false;
    co_return co_await local_reply(err.status, err.status, http::reason_phrase(err.status), err.reason,
                                   reason_for_status(err.status), false);
  }
  const http::Header* rid = http::find_header(req_.headers, "x-request-id");
  if (rid && valid_request_id(rid->value)) request_id_.assign(rid->value);
  else worker_.make_request_id(request_id_);
  begin_trace();

  if (req_.upgrade_websocket) {
    co_return co_await local_reply(501, 501, "Not Implemented",
                                   "WebSocket upgrades are not supported yet", LocalReason::kNotImplemented,
                                   false);
  }
  http::PathError perr = http::normalize_path(req_.path, path_, gw.forwarding.allow_encoded_slash);
  if (perr != http::PathError::kNone) {
    path_.assign(req_.path);
    co_return co_await local_reply(400, 400, "Bad Request", http::path_error_text(perr),
                                   LocalReason::kBadRequest, false);
  }
  if (req_.has_query && !http::query_is_valid(req_.query)) {
    co_return co_await local_reply(400, 400, "Bad Request", "invalid character in query string",
                                   LocalReason::kBadRequest, false);
  }
  if (gw.limits.max_body_bytes && req_.framing == http::BodyFraming::kContentLength &&
      req_.content_length > gw.limits.max_body_bytes) {
    co_return co_await local_reply(413, 413, "Content Too Large",
                                   "the request body is larger than limits.max_body_bytes",
                                   LocalReason::kTooLarge, false);
  }

  router::Method method = router::method_from_string(req_.method);
  runtime_->config->route_table.match(method, path_, match_);
  if (match_.kind == router::MatchResult::Kind::kMatched &&
      !runtime_->routes[match_.route_id].route->api->served_on(transport_.is_tls())) {
    match_.kind = router::MatchResult::Kind::kNotFound;  // x-wso2-transports: not on this listener
  }
  if (match_.kind == router::MatchResult::Kind::kNotFound) {
    co_return co_await local_reply(404, 404, "Not Found",
                                   "no API resource matches the request path", LocalReason::kNotFound,
                                   true);
  }
  if (match_.kind == router::MatchResult::Kind::kMethodNotAllowed) {
    std::string allow = "Allow: ";
    bool first = true;
    for (int m = 0; m < router::kMethodCount; ++m) {
      if (match_.allowed_methods & (1u << m)) {
        if (!first) allow += ", ";
        allow += router::method_name(router::Method(m));
        first = false;
      }
    }
    allow += "\r\n";
    co_return co_await local_reply(405, 405, "Method Not Allowed",
                                   "the resource does not support this method",
                                   LocalReason::kMethodNotAllowed, true, allow);
  }
  route_ = &runtime_->routes[match_.route_id];

  // Blocking conditions on the caller's address and the API come before authentication:
  // a blocked client costs no signature check.
  const throttle::BlockList* blocks = worker_.block_list();
  const std::string_view caller = caller_ip();
  if (blocks != nullptr && !blocks->empty()) {
    const config::Api& api = *route_->route->api;
    bool ip = blocks->blocks_ip(caller);
    if (ip || blocks->blocks_api(api.name, api.version)) {
      co_return co_await local_reply(403, 900805, "Message blocked",
                                     ip ? "You have been blocked from accessing the resource (IP address)"
                                        : "You have been blocked from accessing the resource (API)",
                                     LocalReason::kBlocked, true, {}, ip ? "blocked_ip" : "blocked_api");
    }
  }

  // A client's copy of the backend-JWT header is never forwarded, even on open routes: a
  // backend that trusts the header must only ever see the gateway's.
  if (runtime_->backend_jwt) {
    add_header_name_ = runtime_->backend_jwt->header();
    add_header_value_.clear();
  }
  // Request filters (authentication …), in order; the first rejection answers.
  const RuntimeGroup* group = route_->production.get();
  if (!route_->filters.empty()) {
    const int64_t now_us = SystemClock::instance().unix_micros();
    filters::RequestContext fctx(req_, path_, *route_->route, worker_.id(), now_us / 1'000);
    fctx.client_ip = caller;
    fctx.response_headers = &response_headers_;
    fctx.byte_charges = &byte_charges_;
    fctx.block_list = blocks;
    fctx.client_cert_subject = client_cert_subject_;
    // Behind a TLS-terminating load balancer: the certificate it forwards, only from a
    // trusted proxy, only for APIs that use mutual TLS, verified like a handshake's.
    if (client_cert_subject_.empty() && trusted_peer_ && runtime_->client_cert_header &&
        !route_->route->security->mutual_ssl.empty()) {
      const auto& name = runtime_->config->gateway.security.client_cert_header.header;
      header_cert_subject_.clear();
      for (const auto& h : req_.headers) {
        if (h.name.size() == name.size() && iequals(h.name, name)) {
          header_cert_subject_ = runtime_->client_cert_header->verify(h.value);
          break;
        }
      }
      fctx.client_cert_subject = header_cert_subject_;
    }
    for (const auto& f : route_->filters) {
      filters::Rejection rej;
      filters::Decision d = f->on_request(fctx, rej);
      if (d == filters::Decision::kIntrospect) {
        // Opaque token: this request waits for the key manager; the worker does not.
        auto runtime = runtime_;
        auto res = co_await worker_.introspector().introspect(std::string(fctx.introspect_token), runtime);
        using K = Introspector::Result::Kind;
        if (res.kind == K::kUnavailable) {
          co_return co_await local_reply(503, 503, "Service Unavailable",
                                         "the key manager could not validate the access token; retry later",
                                         LocalReason::kUnavailable, true, "Retry-After: 5\r\n", res.reason);
        }
        if (res.kind == K::kExpired) {
          co_return co_await local_reply(401, 900903, "Expired Credentials", "The access token has expired",
                                         LocalReason::kUnauthorized, true,
                                         "WWW-Authenticate: Bearer realm=\"postern\", error=\"invalid_token\"\r\n",
                                         res.reason);
        }
        if (res.kind == K::kInactive) {
          co_return co_await local_reply(401, 900901, "Invalid Credentials",
                                         "Make sure you have provided the correct security credentials",
                                         LocalReason::kUnauthorized, true,
                                         "WWW-Authenticate: Bearer realm=\"postern\", error=\"invalid_token\"\r\n",
                                         res.reason);
        }
        d = f->on_identity(fctx, res.identity, rej);
      } else if (d == filters::Decision::kCheckPassword) {
        // A Basic password not verified before: scrypt runs on the checking threads while
        // this request waits and the worker serves others.
        auto check = std::move(fctx.password_check);  // the filter lives in runtime_, kept by this request
        auto out = co_await worker_.password_checker().check(worker_.loop(), check);
        if (!out.ran) {
          co_return co_await local_reply(503, 503, "Service Unavailable",
                                         "Too many password checks right now; retry shortly",
                                         LocalReason::kUnavailable, true, "Retry-After: 1\r\n", "basic_busy");
        }
        d = f->on_password_checked(fctx, *check, out.matched, rej);
      }
      if (d == filters::Decision::kReject) {
        identity_ = fctx.identity;  // who was refused (throttled callers are known by now)
        LocalReason why = rej.status == 429                        ? LocalReason::kThrottled
                          : rej.status == 503                      ? LocalReason::kUnavailable
                          : rej.status == 403 && rej.code == 900805 ? LocalReason::kBlocked
                          : rej.status == 403                      ? LocalReason::kForbidden
                                                                   : LocalReason::kUnauthorized;
        co_return co_await local_reply(rej.status, rej.code, rej.message, rej.description, why, true,
                                       rej.extra_headers, rej.reason);
      }
    }
    identity_ = std::move(fctx.identity);
    strip_header_ = fctx.strip_header;
    strip_query_param_ = fctx.strip_query_param;
    if (!fctx.add_header_name.empty()) {
      add_header_name_ = fctx.add_header_name;
      add_header_value_.assign(fctx.add_header_value);
    }
    if (fctx.use_sandbox) group = route_->sandbox.get();
  }
  std::string_view rest(path_);
  const std::string& base = route_->route->api->base_path;
  if (rest.size() >= base.size()) rest.remove_prefix(base.size());
  if (rest.empty()) rest = "/";
  co_return co_await forward(*route_, group, rest);
}

void ProxySession::build_upstream_head(const RuntimeRoute& route, std::string_view upstream_path,
                                       const config::Endpoint& endpoint) {
  const auto& fwd = runtime_->config->gateway.forwarding;
  out_.clear();
  out_.append(req_.method);
  out_ += ' ';
  out_ += endpoint.base_path;
  out_.append(upstream_path);
  if (req_.has_query) {
    if (strip_query_param_.empty()) {
      out_ += '?';
      out_.append(req_.query);
    } else {
      // Forward the query without the credential parameter (an API key in the query).
      std::string_view q = req_.query;
      char sep = '?';
      while (!q.empty()) {
        size_t amp = q.find('&');
        std::string_view kv = q.substr(0, amp);
        if (kv.substr(0, kv.find('=')) != strip_query_param_ && !kv.empty()) {
          out_ += sep;
          out_.append(kv);
          sep = '&';
        }
        if (amp == std::string_view::npos) break;
        q.remove_prefix(amp + 1);
      }
    }
  }
  out_ += " HTTP/1.1\r\nHost: ";
  if (fwd.preserve_host && !req_.host.empty()) out_.append(req_.host);
  else out_ += endpoint.host_header;
  out_ += "\r\n";
  std::string_view xff, xfp, xfh;
  for (const auto& h : req_.headers) {
    std::string_view n = h.name;
    using K = http::HeaderKind;
    switch (h.kind) {
      case K::kOther: break;
      case K::kXForwardedFor: xff = h.value; continue;
      case K::kXForwardedHost: xfh = h.value; continue;
      case K::kXForwardedProto: xfp = h.value; continue;
      default: continue;  // hop-by-hop, or rebuilt below (Host, framing, Expect, request id, trace)
    }
    if (!req_.connection.empty() && header_has_token(req_.connection, n)) continue;
    if (!strip_header_.empty() && n.size() == strip_header_.size() && iequals(n, strip_header_)) continue;
    if (!add_header_name_.empty() && n.size() == add_header_name_.size() && iequals(n, add_header_name_)) continue;
    out_.append(n);
    out_ += ": ";
    out_.append(h.value);
    out_ += "\r\n";
  }
  // Client copies of forwarding headers are trusted only from configured proxies.
  out_ += "X-Forwarded-For: ";
  if (trusted_peer_ && !xff.empty()) {
    out_.append(xff);
    out_ += ", ";
  }
  out_ += client_ip_;
  out_ += "\r\nX-Forwarded-Proto: ";
  if (trusted_peer_ && !xfp.empty()) out_.append(xfp);
  else out_ += transport_.is_tls() ? "https" : "http";
  out_ += "\r\nX-Forwarded-Host: ";
  if (trusted_peer_ && !xfh.empty()) out_.append(xfh);
  else out_.append(req_.host);
  out_ += "\r\nX-Request-ID: ";
  out_ += request_id_;
  out_ += "\r\ntraceparent: ";
  out_ += traceparent_;
  out_ += "\r\n";
  if (!tracestate_.empty()) {
    out_ += "tracestate: ";
    out_.append(tracestate_);
    out_ += "\r\n";
  }
  if (!add_header_value_.empty()) {
    out_.append(add_header_name_);
    out_ += ": ";
    out_ += add_header_value_;
    out_ += "\r\n";
  }
  if (req_.framing == http::BodyFraming::kContentLength) {
    out_ += "Content-Length: ";
    append_decimal(out_, req_.content_length);
    out_ += "\r\n";
  } else if (req_.framing == http::BodyFraming::kChunked) {
    out_ += "Transfer-Encoding: chunked\r\n";
  }
  out_ += "\r\n";
}

net::awaitable<ProxySession::Outcome> ProxySession::forward(const RuntimeRoute& route,
                                                            const RuntimeGroup* group,
                                                            std::string_view upstream_path) {
  const auto& gw = runtime_->config->gateway;
  const auto& limits = gw.limits;
  auto& pool = worker_.pool();
  auto& metrics = worker_.metrics();
  if (!group || group->endpoints.empty()) {
    co_return co_await local_reply(502, 502, "Bad Gateway", "the route has no production endpoint",
                                   LocalReason::kBadRequest, true);
  }
  const size_t body_begin = pos_;
  const bool is_head = req_.method == "HEAD";
  // A request can be replayed on a fresh connection when a pooled one turns out to be
  // stale, as long as none of it has left our buffer: no body, or all of it buffered.
  const bool replayable =
      req_.framing == http::BodyFraming::kNone ||
      (req_.framing == http::BodyFraming::kContentLength && end_ - pos_ >= req_.content_length);

  const size_t n = group->endpoints.size();
  size_t first = group->group->type == config::EndpointGroup::Type::kFailover ? 0 : size_t(worker_.next_round_robin() % n);
  std::unique_ptr<upstream::UpstreamConnection> conn;
  UpstreamError failure = UpstreamError::kConnectFailed;
  upstream_started_ = now();
  auto ubuf = worker_.take_buffer();
  const size_t ucap = Worker::kUpstreamBufferSize;
  size_t uend = 0;
  size_t uhead_end = 0;
  bool sent_continue = false;
  bool got_response = false;
  bool stale_retry_used = false;

  // Endpoints in order (round robin start, or the first for failover), each resolved address
  // of each; a failed connect moves on, a request that reached an endpoint never does.
  bool stop = false;
  for (size_t attempt = 0; attempt < n && !got_response && !stop; ++attempt) {
    const RuntimeEndpoint& ep = group->endpoints[(first + attempt) % n];
    for (size_t ti = 0; ti < ep.targets.size() && !got_response && !stop; ++ti) {
    const upstream::Target& target = ep.targets[ti];
    for (int pass = 0; pass < 2 && !got_response && !stop; ++pass) {
      bool fresh_only = pass == 1;
      conn = fresh_only ? nullptr : pool.take_idle(target.pool_key);
      bool reused = conn != nullptr;
      if (!conn) {
        conn = pool.create(target);
        if (!conn) {
          failure = UpstreamError::kConnectFailed;
          break;
        }
        active_upstream_ = conn.get();
        arm_for(Phase::kUpstreamConnect, limits.upstream_connect_timeout);
        net::error_code ec;
        co_await pool.connect(*conn, target, gw.upstream_tls.verify, ec);
        active_upstream_ = nullptr;
        if (ec) {
          failure = timed_out_ ? UpstreamError::kConnectTimeout : UpstreamError::kConnectFailed;
          log::debug("upstream {} connect failed: {}", ep.endpoint->url, ec.message());
          conn.reset();
          if (closing_) stop = true;
          break;
        }
        metrics.upstream_connections_opened.add();
      } else {
        metrics.upstream_connections_reused.add();
      }
      endpoint_text_ = ep.endpoint->url.c_str();
      build_upstream_head(route, upstream_path, *ep.endpoint);
      active_upstream_ = conn.get();
      arm_for(Phase::kUpstreamResponse, group->response_timeout);
      net::error_code ec;

      // --- request head + body ---
      if (req_.framing == http::BodyFraming::kContentLength) {
        size_t avail = std::min<uint64_t>(end_ - pos_, req_.content_length);
        std::array<net::asio::const_buffer, 2> bufs{net::asio::buffer(out_),
                                                    net::asio::buffer(buf_.get() + pos_, avail)};
        co_await conn->transport.write(std::span<const net::asio::const_buffer>(bufs), ec);
        uint64_t remaining = req_.content_length - avail;
        if (!ec) {
          pos_ += avail;
          bytes_in_ = avail;
        }
        while (!ec && remaining > 0) {
          if (req_.expect_continue && !sent_continue) {
            sent_continue = true;
            static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
            if (!co_await write_client(k100)) {
              closing_ = true;
              break;
            }
          }
          pos_ = end_ = body_begin;
          arm_for(Phase::kReadBody, limits.body_timeout);
          net::error_code cec;
          size_t got = co_await transport_.read_some(net::asio::buffer(buf_.get() + end_, cap_ - end_), cec);
          if (cec) {  // client went away or stalled mid-body: nothing sensible to answer
            closing_ = true;
            break;
          }
          end_ += got;
          size_t take = std::min<uint64_t>(got, remaining);
          arm_for(Phase::kUpstreamResponse, group->response_timeout);
          co_await conn->transport.write(net::asio::buffer(buf_.get() + pos_, take), ec);
          pos_ += take;
          remaining -= take;
          bytes_in_ += take;
        }
      } else if (req_.framing == http::BodyFraming::kChunked) {
        chunked_.reset();
        bool head_sent = false;
        bool done = false;
        while (!ec && !done) {
          chunk_.clear();
          size_t consumed = 0;
          auto r = chunked_.feed(buf_.get() + pos_, end_ - pos_, chunk_, consumed);
          pos_ += consumed;
          if (r == http::ChunkedDecoder::Result::kError) {
            conn->transport.close();
            conn.reset();
            active_upstream_ = nullptr;
            worker_.give_buffer(std::move(ubuf));
            co_return co_await local_reply(400, 400, "Bad Request", chunked_.error(),
                                           LocalReason::kBadRequest, false);
          }
          if (limits.max_body_bytes && chunked_.payload_bytes() > limits.max_body_bytes) {
            conn->transport.close();
            conn.reset();
            active_upstream_ = nullptr;
            worker_.give_buffer(std::move(ubuf));
            req_.keep_alive = false;
            co_return co_await local_reply(413, 413, "Content Too Large",
                                           "the request body is larger than limits.max_body_bytes",
                                           LocalReason::kTooLarge, false);
          }
          done = r == http::ChunkedDecoder::Result::kDone;
          std::string frame;
          std::string& wire = head_sent ? frame : out_;
          if (!chunk_.empty()) {
            append_chunk_size(wire, chunk_.size());
          }
          std::array<net::asio::const_buffer, 3> bufs{
              net::asio::buffer(wire), net::asio::buffer(chunk_),
              net::asio::buffer(chunk_.empty() ? "" : "\r\n", chunk_.empty() ? 0 : 2)};
          if (done) {
            // The terminating chunk goes in the same write as the last data.
            static const std::string kLast = "0\r\n\r\n";
            std::array<net::asio::const_buffer, 4> all{bufs[0], bufs[1], bufs[2], net::asio::buffer(kLast)};
            co_await conn->transport.write(std::span<const net::asio::const_buffer>(all), ec);
          } else if (!wire.empty() || !chunk_.empty()) {
            co_await conn->transport.write(std::span<const net::asio::const_buffer>(bufs), ec);
          }
          head_sent = true;
          bytes_in_ = chunked_.payload_bytes();
          if (done || ec) break;
          if (req_.expect_continue && !sent_continue) {
            sent_continue = true;
            static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
            if (!co_await write_client(k100)) {
              closing_ = true;
              break;
            }
          }
          pos_ = end_ = body_begin;
          arm_for(Phase::kReadBody, limits.body_timeout);
          net::error_code cec;
          size_t got = co_await transport_.read_some(net::asio::buffer(buf_.get() + end_, cap_ - end_), cec);
          if (cec) {
            closing_ = true;
            break;
          }
          end_ += got;
          arm_for(Phase::kUpstreamResponse, group->response_timeout);
        }
      } else {
        co_await conn->transport.write(net::asio::buffer(out_), ec);
      }
      if (closing_) {
        active_upstream_ = nullptr;
        conn->transport.close();
        worker_.give_buffer(std::move(ubuf));
        finish_request(499, "client closed connection during the request body");
        co_return Outcome::kClose;
      }

      // --- response head ---
      uend = 0;
      bool retry = false;
      while (!ec) {
        if (uend > 0) {
          auto scan = http::find_head_end(ubuf.get(), uend, ucap - 1024, 502);
          if (scan.kind == http::HeadScan::Kind::kError) {
            ec = net::asio::error::invalid_argument;
            failure = UpstreamError::kBadResponse;
            break;
          }
          if (scan.kind == http::HeadScan::Kind::kComplete) {
            http::HeadError herr = http::parse_response_head(ubuf.get() + scan.skip,
                                                             scan.head_end - scan.skip, is_head, resp_);
            if (herr || resp_.status == 101) {
              ec = net::asio::error::invalid_argument;
              failure = UpstreamError::kBadResponse;
              break;
            }
            if (resp_.status < 200) {  // interim response (100, 103): not forwarded
              std::memmove(ubuf.get(), ubuf.get() + scan.head_end, uend - scan.head_end);
              uend -= scan.head_end;
              continue;
            }
            uhead_end = scan.head_end;
            got_response = true;
            break;
          }
        }
        size_t got = co_await conn->transport.read_some(net::asio::buffer(ubuf.get() + uend, ucap - uend), ec);
        uend += got;
        if (ec) {
          if (timed_out_) failure = UpstreamError::kResponseTimeout;
          else if (uend == 0 && reused && replayable && !stale_retry_used) retry = true;
          else failure = UpstreamError::kReset;
        }
      }
      active_upstream_ = nullptr;
      if (got_response) break;
      conn->transport.close();
      conn.reset();
      if (retry) {
        // The pooled connection had been closed by the upstream: replay once on a new one.
        stale_retry_used = true;
        pos_ = body_begin;
        bytes_in_ = 0;
        continue;
      }
      stop = true;  // the request reached an endpoint: never send it to another one
    }
    }
  }

  upstream_us_ = micros_since(upstream_started_);
  if (!got_response) {
    worker_.give_buffer(std::move(ubuf));
    metrics.upstream_errors[size_t(failure)].add();
    bool timeout = failure == UpstreamError::kResponseTimeout || failure == UpstreamError::kConnectTimeout;
    int status = timeout ? 504 : 502;
    const char* desc = "";
    switch (failure) {
      case UpstreamError::kConnectFailed: desc = "could not connect to any endpoint of the API"; break;
      case UpstreamError::kConnectTimeout: desc = "connecting to the endpoint timed out"; break;
      case UpstreamError::kResponseTimeout: desc = "the endpoint did not respond in time"; break;
      case UpstreamError::kReset: desc = "the endpoint closed the connection before responding"; break;
      case UpstreamError::kBadResponse: desc = "the endpoint sent an invalid HTTP response"; break;
      default: break;
    }
    // The request body may be partly unread: only keep the connection when it was consumed.
    bool body_consumed = pos_ >= body_begin && req_.framing != http::BodyFraming::kChunked &&
                         (req_.framing == http::BodyFraming::kNone || bytes_in_ == req_.content_length);
    if (body_consumed) req_.framing = http::BodyFraming::kNone;
    error_source_ = "upstream";
    co_return co_await local_reply(status, status, timeout ? "Gateway Timeout" : "Bad Gateway", desc,
                                   LocalReason::kBadRequest, true);
  }

  // --- response to the client ---
  bool client_keep = req_.keep_alive && !drain_requested_ && !closing_;
  bool chunk_to_client = false;
  const bool client_11 = req_.version_minor >= 1;
  if (resp_.framing == http::BodyFraming::kChunked || resp_.framing == http::BodyFraming::kUntilClose) {
    if (client_11) chunk_to_client = true;
    else client_keep = false;  // HTTP/1.0: the end of the body is the end of the connection
  }
  build_response_head(resp_, chunk_to_client, client_keep);
  const int status = resp_.status;
  size_t upos = uhead_end;
  bool upstream_ok = resp_.keep_alive;
  bool client_ok = true;
  net::error_code ec;
  auto read_upstream = [&]() -> net::awaitable<size_t> {
    arm_for(Phase::kUpstreamResponse, group->response_timeout);
    size_t got = co_await conn->transport.read_some(net::asio::buffer(ubuf.get(), ucap), ec);
    upos = 0;
    uend = got;
    co_return got;
  };
  active_upstream_ = conn.get();
  switch (resp_.framing) {
    case http::BodyFraming::kNone:
      if (must_commit_event()) co_await commit_event(status, 0);
      client_ok = co_await write_client(out_);
      if (uend > upos) upstream_ok = false;  // bytes after a bodiless response: do not reuse
      break;
    case http::BodyFraming::kContentLength: {
      uint64_t remaining = resp_.content_length;
      size_t avail = std::min<uint64_t>(uend - upos, remaining);
      if (avail == remaining && must_commit_event()) co_await commit_event(status, avail);
      client_ok = co_await write_client(out_, std::string_view(ubuf.get() + upos, avail));
      upos += avail;
      remaining -= avail;
      bytes_out_ = avail;
      while (client_ok && remaining > 0) {
        co_await read_upstream();
        if (ec) break;
        size_t take = std::min<uint64_t>(uend, remaining);
        if (take == remaining && must_commit_event()) co_await commit_event(status, bytes_out_ + take);
        client_ok = co_await write_client(std::string_view(ubuf.get(), take));
        upos = take;
        remaining -= take;
        bytes_out_ += take;
      }
      if (remaining > 0 || uend > upos) upstream_ok = false;
      if (remaining > 0) client_keep = false;  // truncated: the client must see the connection end
      if (remaining > 0 && client_ok) {
        error_source_ = "upstream";
        error_reason_ = "the endpoint's response body ended early";
      }
      break;
    }
    case http::BodyFraming::kChunked: {
      chunked_.reset();
      bool first_write = true;
      for (;;) {
        chunk_.clear();
        size_t consumed = 0;
        auto r = chunked_.feed(ubuf.get() + upos, uend - upos, chunk_, consumed);
        upos += consumed;
        if (r == http::ChunkedDecoder::Result::kError) {
          upstream_ok = false;
          client_keep = false;
          error_source_ = "upstream";
          error_reason_ = "the endpoint sent invalid chunked framing";
          break;
        }
        bool done = r == http::ChunkedDecoder::Result::kDone;
        std::string& wire = first_write ? out_ : scratch_;
        if (!first_write) wire.clear();
        if (chunk_to_client && !chunk_.empty()) append_chunk_size(wire, chunk_.size());
        if (chunk_to_client && !chunk_.empty()) chunk_ += "\r\n";
        if (done && chunk_to_client) chunk_ += "0\r\n\r\n";
        if (done && must_commit_event()) co_await commit_event(status, chunked_.payload_bytes());
        if (!wire.empty() || !chunk_.empty()) client_ok = co_await write_client(wire, chunk_);
        first_write = false;
        bytes_out_ = chunked_.payload_bytes();
        if (done || !client_ok) {
          if (uend > upos) upstream_ok = false;
          if (!done) upstream_ok = false;
          break;
        }
        co_await read_upstream();
        if (ec) {
          upstream_ok = false;
          client_keep = false;
          break;
        }
      }
      break;
    }
    case http::BodyFraming::kUntilClose: {
      upstream_ok = false;
      bool first_write = true;
      for (;;) {
        std::string_view data(ubuf.get() + upos, uend - upos);
        std::string& wire = first_write ? out_ : scratch_;
        if (!first_write) wire.clear();
        if (chunk_to_client && !data.empty()) append_chunk_size(wire, data.size());
        chunk_.assign(data);
        if (chunk_to_client && !data.empty()) chunk_ += "\r\n";
        if (!wire.empty() || !chunk_.empty()) client_ok = co_await write_client(wire, chunk_);
        first_write = false;
        bytes_out_ += data.size();
        if (!client_ok) break;
        co_await read_upstream();
        if (ec) {
          // EOF is the normal end; a timeout or reset means a truncated body.
          bool eof = ec == net::asio::error::eof || ec == net::asio::ssl::error::stream_truncated;
          if (eof && must_commit_event()) co_await commit_event(status, bytes_out_);
          if (eof && chunk_to_client) client_ok = co_await write_client("0\r\n\r\n");
          if (!eof) {
            client_keep = false;
            error_source_ = "upstream";
            error_reason_ = "the endpoint's response body ended early";
          }
          break;
        }
      }
      break;
    }
  }
  active_upstream_ = nullptr;
  if (timed_out_ && phase_ == Phase::kUpstreamResponse) metrics.upstream_errors[size_t(UpstreamError::kResponseTimeout)].add();
  if (ec && !timed_out_ && ec != net::asio::error::eof) metrics.upstream_errors[size_t(UpstreamError::kReset)].add();
  worker_.give_buffer(std::move(ubuf));
  if (upstream_ok && !ec) {
    conn->requests++;
    pool.release(std::move(conn), now());
  } else {
    conn->transport.close();
  }
  if (!client_ok) {
    finish_request(499, "client closed the connection during the response");
    co_return Outcome::kClose;
  }
  finish_request(status, "");
  co_return client_keep ? Outcome::kKeepAlive : Outcome::kClose;
}

void ProxySession::build_response_head(const http::ResponseHead& resp, bool chunk_to_client,
                                       bool keep_alive) {
  out_.clear();
  out_ += "HTTP/1.1 ";
  append_decimal(out_, uint64_t(resp.status));
  out_ += ' ';
  if (resp.reason.empty()) out_ += http::reason_phrase(resp.status);
  else out_.append(resp.reason);
  out_ += "\r\n";
  bool has_request_id = false;
  for (const auto& h : resp.headers) {
    std::string_view n = h.name;
    if (http::is_hop_by_hop(h.kind)) continue;
    if (h.kind == http::HeaderKind::kContentLength) {
      // Kept for HEAD and 304 (they describe the body that was not sent), rebuilt otherwise.
      if (resp.framing != http::BodyFraming::kNone) continue;
    }
    if (!resp.connection.empty() && header_has_token(resp.connection, n)) continue;
    if (h.kind == http::HeaderKind::kXRequestId) has_request_id = true;
    out_.append(n);
    out_ += ": ";
    out_.append(h.value);
    out_ += "\r\n";
  }
  if (resp.framing == http::BodyFraming::kContentLength) {
    out_ += "Content-Length: ";
    append_decimal(out_, resp.content_length);
    out_ += "\r\n";
  } else if (chunk_to_client) {
    out_ += "Transfer-Encoding: chunked\r\n";
  }
  if (!has_request_id) {
    out_ += "X-Request-ID: ";
    out_ += request_id_;
    out_ += "\r\n";
  }
  out_ += response_headers_;
  if (!keep_alive) out_ += "Connection: close\r\n";
  else if (req_.version_minor == 0) out_ += "Connection: keep-alive\r\n";
  out_ += "\r\n";
}

}  // namespace postern::server
