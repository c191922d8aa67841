#include "net/transport.h"

namespace postern::net {

Transport::Transport(tcp::socket socket) : plain_(std::move(socket)) {}

Transport::Transport(tcp::socket socket, asio::ssl::context& tls)
    : plain_(socket.get_executor()), tls_(std::make_unique<asio::ssl::stream<tcp::socket>>(std::move(socket), tls)) {}

awaitable<void> Transport::accept_tls(error_code& ec) {
  if (tls_) co_await tls_->async_handshake(asio::ssl::stream_base::server, with_ec(ec));
}

awaitable<void> Transport::connect_tls(const std::string& host, bool verify, error_code& ec) {
  if (!tls_) co_return;
  SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str());
  if (verify) {
    tls_->set_verify_mode(asio::ssl::verify_peer);
    // Checks the certificate's subjectAltName (DNS or IP) against the endpoint host.
    tls_->set_verify_callback(asio::ssl::host_name_verification(host));
  } else {
    tls_->set_verify_mode(asio::ssl::verify_none);
  }
  co_await tls_->async_handshake(asio::ssl::stream_base::client, with_ec(ec));
}

awaitable<size_t> Transport::read_some(asio::mutable_buffer buffer, error_code& ec) {
  if (tls_) co_return co_await tls_->async_read_some(buffer, with_ec(ec));
  co_return co_await plain_.async_read_some(buffer, with_ec(ec));
}

awaitable<void> Transport::write(asio::const_buffer buffer, error_code& ec) {
  if (tls_) {
    co_await asio::async_write(*tls_, buffer, with_ec(ec));
  } else {
    co_await asio::async_write(plain_, buffer, with_ec(ec));
  }
}

awaitable<void> Transport::write(std::span<const asio::const_buffer> buffers, error_code& ec) {
  if (tls_) {
    co_await asio::async_write(*tls_, buffers, with_ec(ec));
  } else {
    co_await asio::async_write(plain_, buffers, with_ec(ec));
  }
}

void Transport::cancel() {
  error_code ignored;
  socket().cancel(ignored);
}

void Transport::close() {
  error_code ignored;
  socket().shutdown(tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
}

}  // namespace postern::net
