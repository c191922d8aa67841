#include "collector/collector_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <charconv>
#include <chrono>

#include "collector/ingest.h"
#include "collector/report_render.h"
#include "core/log.h"

namespace postern::collector {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;

namespace {

std::string error_body(std::string_view message) { return "{\"error\":\"" + json_escape(message) + "\"}"; }

Answer bad_request(std::string_view message, int64_t line) {
  return {400, "{\"error\":\"" + json_escape(message) + "\",\"line\":" + std::to_string(line) + "}", {}};
}

}  // namespace

Answer handle_upload(EventStore& store, const Upload& up, size_t max_file_size) {
  auto started = std::chrono::steady_clock::now();
  if (!valid_file_id(up.file_id)) return bad_request("bad file_id: 1..128 characters of [A-Za-z0-9._-]", 0);
  std::optional<int64_t> expected;
  if (up.events) {
    int64_t n = -1;
    auto [p, ec] = std::from_chars(up.events->data(), up.events->data() + up.events->size(), n);
    if (ec != std::errc() || p != up.events->data() + up.events->size() || n < 0)
      return bad_request("X-Postern-Events is not a non-negative integer", 0);
    expected = n;
  }
  std::string inflated;
  std::string_view text;
  if (up.content_encoding == "gzip") {
    switch (gunzip(up.body, max_file_size, inflated)) {
      case DecodeError::kNone: break;
      case DecodeError::kBadGzip: return bad_request("body is not valid gzip", 0);
      case DecodeError::kTooLarge:
        return {413, error_body("decompressed file is larger than " + std::to_string(max_file_size) + " bytes"), {}};
    }
    text = inflated;
  } else if (up.content_encoding.empty() || up.content_encoding == "identity") {
    text = up.body;
  } else {
    return bad_request("unsupported Content-Encoding (gzip or none)", 0);
  }
  EventFile file;
  file.file_id = std::string(up.file_id);
  if (auto err = parse_event_lines(text, expected, file)) {
    log::warn("analytics file {} refused: line {}: {}", file.file_id, err->line, err->message);
    return bad_request(err->message, err->line);
  }
  file.node = std::string(up.node);
  if (file.node.empty()) {
    if (!file.requests.empty()) file.node = file.requests.front().node;
    else if (!file.gaps.empty()) file.node = file.gaps.front().node;
  }
  IngestOutcome out;
  try {
    out = store.ingest(file);
  } catch (const StoreUnavailable& e) {
    log::error("analytics file {}: database unavailable: {}", file.file_id, e.what());
    return {503, error_body("database unavailable, retry later"), {}};
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  log::info("analytics file {} events {} duplicate {} {} ms", file.file_id, out.events, out.duplicate, ms);
  return {200,
          "{\"file_id\":\"" + json_escape(file.file_id) + "\",\"events\":" + std::to_string(out.events) +
              ",\"duplicate\":" + (out.duplicate ? "true" : "false") + "}",
          {}};
}

namespace {

struct ServerContext {
  const CollectorOptions& options;
  EventStore& store;
};

// Routing and credentials, decided from the head alone so an unauthorised or misdirected
// upload is refused before its body is read. nullopt: go on and read the body.
std::optional<Answer> check_head(const ServerContext& ctx, const http::request<http::string_body>& req,
                                 std::string_view path) {
  if (path == "/v1/health") {
    if (req.method() != http::verb::get && req.method() != http::verb::head)
      return Answer{405, error_body("GET only"), {}};
    return Answer{200, "{\"status\":\"ok\"}", {}};
  }
  if (path.substr(0, 10) != "/v1/files/") return Answer{404, error_body("not found"), {}};
  if (!ctx.options.allow_anonymous) {
    auto it = req.find(http::field::authorization);
    if (it == req.end() || !ctx.options.credentials.accepts(std::string_view(it->value().data(), it->value().size())))
      return Answer{401, error_body(it == req.end() ? "credentials required" : "wrong credentials"),
                    ctx.options.credentials.challenge()};
  }
  if (req.method() != http::verb::post) return Answer{405, error_body("POST only"), {}};
  return std::nullopt;
}

template <class Stream>
// `a` by value: a coroutine must own its arguments.
asio::awaitable<bool> send(Stream& stream, Answer a, bool keep_alive, bool head_only = false) {
  http::response<http::string_body> res{static_cast<http::status>(a.status), 11};
  res.set(http::field::server, "postern-collector");
  res.set(http::field::content_type, "application/json");
  if (!a.www_authenticate.empty()) res.set(http::field::www_authenticate, a.www_authenticate);
  res.body() = a.body;
  res.body() += "\n";
  res.keep_alive(keep_alive);
  res.prepare_payload();
  error_code ec;
  if (head_only) {
    http::response_serializer<http::string_body> sr{res};
    co_await http::async_write_header(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return !ec;
}

// Named, never a braced temporary in a co_await expression: GCC 12 destroys some of those
// twice (the "free(): invalid pointer" this once caused).
Answer body_too_large(size_t limit) {
  return {413, error_body("body larger than " + std::to_string(limit) + " bytes"), {}};
}

// After answering without reading the body (401, 413, …): read and discard what the client
// is still sending for a moment before closing. Closing with unread data makes the kernel
// send a reset, and the client would lose the answer it has not read yet.
template <class Stream>
asio::awaitable<void> drain(Stream& stream) {
  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_after(2s);
  char sink[16 * 1024];
  size_t total = 0;
  while (total < (4u << 20)) {
    error_code ec;
    size_t n = co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    total += n;
  }
}

// One connection: requests in order, keep-alive, until the peer closes or an error.
template <class Stream>
asio::awaitable<void> serve(Stream& stream, ServerContext& ctx) {
  auto& tcp_layer = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    // The parser refuses a Content-Length over the limit before reading the body, and
    // stops a chunked body as soon as it passes it.
    parser.body_limit(ctx.options.max_file_size);
    error_code ec;
    tcp_layer.expires_after(60s);  // idle keep-alive connections and slow heads end here
    co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::body_limit) {
      Answer too_big = body_too_large(ctx.options.max_file_size);
      co_await send(stream, std::move(too_big), false);
      co_await drain(stream);
      co_return;
    }
    if (ec) {
      if (ec != http::error::end_of_stream && ec != beast::error::timeout && ec != asio::error::eof &&
          ec != asio::ssl::error::stream_truncated && ec != asio::error::connection_reset) {
        Answer bad{400, error_body("bad request: " + ec.message()), {}};
        co_await send(stream, std::move(bad), false);
      }
      co_return;
    }
    auto& req = parser.get();
    std::string_view target(req.target().data(), req.target().size());
    std::string_view path = target.substr(0, target.find('?'));
    if (auto early = check_head(ctx, req, path)) {
      // The body (if any) is left unread, so the connection cannot carry another request.
      bool body_pending = !parser.is_done();
      co_await send(stream, std::move(*early), req.keep_alive() && !body_pending, req.method() == http::verb::head);
      if (body_pending) co_await drain(stream);
      if (body_pending || !req.keep_alive()) co_return;
      continue;
    }
    auto expect = req.find(http::field::expect);
    if (expect != req.end() && beast::iequals(expect->value(), "100-continue")) {
      http::response<http::empty_body> cont{http::status::continue_, 11};
      co_await http::async_write(stream, cont, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
    }
    // Generous: a 256 MiB body over a slow link. The gateway retries what times out.
    tcp_layer.expires_after(15min);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::body_limit) {
      Answer too_big = body_too_large(ctx.options.max_file_size);
      co_await send(stream, std::move(too_big), false);
      co_await drain(stream);
      co_return;
    }
    if (ec) co_return;
    auto header = [&](http::field f) {
      auto it = req.find(f);
      return it == req.end() ? std::string_view() : std::string_view(it->value().data(), it->value().size());
    };
    Upload up;
    up.file_id = path.substr(10);
    up.body = req.body();
    up.content_encoding = header(http::field::content_encoding);
    auto events_it = req.find("X-Postern-Events");
    if (events_it != req.end()) up.events = std::string_view(events_it->value().data(), events_it->value().size());
    auto node_it = req.find("X-Postern-Node");
    if (node_it != req.end()) up.node = std::string_view(node_it->value().data(), node_it->value().size());
    Answer a = handle_upload(ctx.store, up, ctx.options.max_file_size);
    tcp_layer.expires_after(60s);
    if (!co_await send(stream, a, req.keep_alive()) || !req.keep_alive()) co_return;
  }
}

asio::awaitable<void> plain_session(tcp::socket socket, ServerContext& ctx) {
  beast::tcp_stream stream(std::move(socket));
  co_await serve(stream, ctx);
  error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> tls_session(tcp::socket socket, asio::ssl::context& tls, ServerContext& ctx) {
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), tls);
  beast::get_lowest_layer(stream).expires_after(30s);
  error_code ec;
  co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  co_await serve(stream, ctx);
  beast::get_lowest_layer(stream).expires_after(5s);
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, asio::ssl::context* tls, ServerContext& ctx) {
  for (;;) {
    error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;  // EMFILE and friends: keep serving the connections we have
    auto exec = acceptor.get_executor();
    if (tls) asio::co_spawn(exec, tls_session(std::move(socket), *tls, ctx), asio::detached);
    else asio::co_spawn(exec, plain_session(std::move(socket), ctx), asio::detached);
  }
}

bool parse_listen(const std::string& text, tcp::endpoint& out, std::string& why) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    why = "--listen must be HOST:PORT";
    return false;
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(text.data() + colon + 1, text.data() + text.size(), port);
  if (ec != std::errc() || p != text.data() + text.size() || port > 65535) {
    why = "bad port in --listen " + text;
    return false;
  }
  error_code aec;
  auto addr = asio::ip::make_address(host, aec);
  if (aec) {
    why = "--listen needs a numeric address (e.g. 127.0.0.1 or [::1]), got " + host;
    return false;
  }
  out = tcp::endpoint(addr, static_cast<unsigned short>(port));
  return true;
}

}  // namespace

int run_collector(const CollectorOptions& options) {
  if (!options.credentials.any() && !options.allow_anonymous) {
    log::error(
        "analytics collect: no credentials configured (--token-env/--token-file, --basic-user with "
        "--password-env); refusing to accept uploads from anyone");
    return 2;
  }
  tcp::endpoint endpoint;
  std::string why;
  if (!parse_listen(options.listen, endpoint, why)) {
    log::error("analytics collect: {}", why);
    return 2;
  }
  std::unique_ptr<EventStore> store;
  try {
    store = open_event_store(options.db_url);
  } catch (const StoreUnavailable& e) {
    log::error("analytics collect: {}", e.what());
    return 1;
  }
  std::unique_ptr<asio::ssl::context> tls;
  if (!options.tls_cert.empty() || !options.tls_key.empty()) {
    if (options.tls_cert.empty() || options.tls_key.empty()) {
      log::error("analytics collect: --tls-cert and --tls-key go together");
      return 2;
    }
    tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    error_code ec;
    tls->use_certificate_chain_file(options.tls_cert, ec);
    if (!ec) tls->use_private_key_file(options.tls_key, asio::ssl::context::pem, ec);
    if (ec) {
      log::error("analytics collect: TLS certificate/key: {}", ec.message());
      return 2;
    }
  }

  ServerContext ctx{options, *store};  // outlives the io_context and the sessions it holds
  asio::io_context io(1);
  tcp::acceptor acceptor(io);
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    log::error("analytics collect: cannot listen on {}: {}", options.listen, ec.message());
    return 1;
  }
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const error_code& e, int sig) {
    if (e) return;
    // Uploads are stored synchronously on this thread, so none is half-done when this
    // runs: stop accepting and leave. Unanswered uploads are retried by the gateways.
    log::info("analytics collect: signal {}, stopping", sig);
    error_code ignored;
    acceptor.close(ignored);
    io.stop();
  });
  asio::co_spawn(io, accept_loop(acceptor, tls.get(), ctx), asio::detached);
  log::info("analytics collect: listening on {}{} storing into {}", options.listen, tls ? " (TLS)" : "",
            options.db_url.find("://") == std::string::npos || options.db_url.rfind("sqlite://", 0) == 0
                ? options.db_url
                : options.db_url.substr(0, options.db_url.find("://")) + "://…");
  io.run();
  log::info("analytics collect: stopped");
  return 0;
}

}  // namespace postern::collector
