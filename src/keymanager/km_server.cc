#include "keymanager/km_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <cstring>
#include <memory>

#include "core/log.h"
#include "keymanager/key_manager.h"
#include "keymanager/km_store.h"

namespace postern::keymanager {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;

namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

KmRequest to_km_request(const http::request<http::string_body>& req, const std::string& client_ip) {
  KmRequest k;
  k.method = std::string(req.method_string());
  std::string_view target(req.target().data(), req.target().size());
  size_t q = target.find('?');
  k.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) k.query = std::string(target.substr(q + 1));
  for (const auto& f : req) {
    std::string name(f.name_string());
    for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    k.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  k.body = req.body();
  k.client_ip = client_ip;
  return k;
}

http::response<http::string_body> to_beast(const KmResponse& r, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
  res.set(http::field::server, "postern-keymanager");
  if (r.status != 304) res.set(http::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.body() = r.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

struct Context {
  KeyManager& km;
};

// A store failure (PostgreSQL restarting, a full disk, a lost connection) must not take
// the key manager down: the request gets 503 with Retry-After, as RFC 6749 §5.2's
// temporarily_unavailable, and the next request tries the store again.
KmResponse answer_safely(KeyManager& km, const KmRequest& request) {
  try {
    return km.handle(request, unix_now());
  } catch (const std::exception& e) {
    log::error("keymanager: {} {} failed: {}", request.method, request.path, e.what());
    KmResponse r = json_response(
        503, R"({"error":"temporarily_unavailable","error_description":"the key manager's store is unavailable"})");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
}

template <class Stream>
asio::awaitable<void> serve(Stream& stream, Context& ctx, std::string client_ip) {
  auto& tcp_layer = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(64 * 1024);  // token requests are small
    error_code ec;
    tcp_layer.expires_after(30s);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == http::error::body_limit || ec == http::error::header_limit) {
        KmResponse too_big;
        too_big.status = 413;
        too_big.body = R"({"error":"invalid_request","error_description":"request too large"})";
        co_await http::async_write(stream, to_beast(too_big, false), asio::redirect_error(asio::use_awaitable, ec));
      }
      co_return;
    }
    auto& req = parser.get();
    auto started = std::chrono::steady_clock::now();
    KmResponse answer = answer_safely(ctx.km, to_km_request(req, client_ip));
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    log::info("keymanager access: {} \"{} {}\" {} {} µs", client_ip, std::string_view(req.method_string()),
              std::string_view(req.target()).substr(0, std::string_view(req.target()).find('?')), answer.status,
              us.count());
    const bool keep_alive = req.keep_alive();
    auto res = to_beast(answer, keep_alive);
    if (req.method() == http::verb::head) res.body().clear();
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !keep_alive) co_return;
  }
}

std::string peer_of(const tcp::socket& s) {
  error_code ec;
  auto ep = s.remote_endpoint(ec);
  return ec ? "-" : ep.address().to_string();
}

asio::awaitable<void> plain_session(tcp::socket socket, Context& ctx) {
  std::string ip = peer_of(socket);
  beast::tcp_stream stream(std::move(socket));
  co_await serve(stream, ctx, ip);
  error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> tls_session(tcp::socket socket, asio::ssl::context& tls, Context& ctx) {
  std::string ip = peer_of(socket);
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), tls);
  beast::get_lowest_layer(stream).expires_after(30s);
  error_code ec;
  co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  co_await serve(stream, ctx, ip);
  beast::get_lowest_layer(stream).expires_after(5s);
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, asio::ssl::context* tls, Context& ctx) {
  for (;;) {
    error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;
    auto exec = acceptor.get_executor();
    if (tls) asio::co_spawn(exec, tls_session(std::move(socket), *tls, ctx), asio::detached);
    else asio::co_spawn(exec, plain_session(std::move(socket), ctx), asio::detached);
  }
}

asio::awaitable<void> maintain_keys(KeyManager& km) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(10s);
    error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    try {
      km.maintain(unix_now());
    } catch (const std::exception& e) {
      log::warn("keymanager: key upkeep failed (retried in 10 s): {}", e.what());
    }
  }
}

}  // namespace

int run_keymanager(const KmConfig& config) {
  try {
    auto store = open_store(config.store_url);
    KeySealer sealer = KeySealer::from_env_or_file(config.master_key_env, config.master_key_file.string());
    std::vector<config::Diagnostic> errors;
    ApiCatalog catalog = config.project.empty() ? ApiCatalog() : ApiCatalog::load(config.project, errors);
    for (const auto& e : errors) log::error("{}", e.format());
    if (!errors.empty()) return 1;
    KeyManager km(config, *store, sealer, std::move(catalog));
    km.maintain(unix_now());
    asio::io_context loop{1};
    std::unique_ptr<asio::ssl::context> tls;
    if (!config.tls_cert.empty()) {
      tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      tls->set_options(asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
      tls->use_certificate_chain_file(config.tls_cert.string());
      tls->use_private_key_file(config.tls_key.string(), asio::ssl::context::pem);
    }
    tcp::acceptor acceptor(loop);
    tcp::endpoint ep(reinterpret_cast<const sockaddr*>(&config.listen.storage)->sa_family == AF_INET6 ? tcp::v6()
                                                                                                      : tcp::v4(),
                     0);
    std::memcpy(ep.data(), &config.listen.storage, config.listen.length);
    acceptor.open(ep.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen();
    Context ctx{km};
    asio::co_spawn(loop, accept_loop(acceptor, tls.get(), ctx), asio::detached);
    asio::co_spawn(loop, maintain_keys(km), asio::detached);
    asio::signal_set signals(loop, SIGTERM, SIGINT);
    signals.async_wait([&](error_code, int) {
      log::info("keymanager: stopping");
      loop.stop();
    });
    log::info("keymanager: listening on {}{} (issuer {})", tls ? "https://" : "http://", config.listen.text,
              config.issuer);
    loop.run();
    return 0;
  } catch (const std::exception& e) {
    log::error("keymanager: {}", e.what());
    return 1;
  }
}

}  // namespace postern::keymanager
