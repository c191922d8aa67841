#pragma once
// A byte stream to a peer: plain TCP or TLS over TCP, chosen per connection. One class so the
// proxy logic is written once; the branch per call is cheaper than templating everything.
#include <memory>
#include <span>
#include <string>

#include "net/asio.h"

namespace postern::net {

class Transport {
 public:
  explicit Transport(tcp::socket socket);
  Transport(tcp::socket socket, asio::ssl::context& tls);

  bool is_tls() const { return tls_ != nullptr; }
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : plain_; }
  SSL* ssl() { return tls_ ? tls_->native_handle() : nullptr; }

  // Server side: TLS handshake (no-op on plain connections).
  awaitable<void> accept_tls(error_code& ec);
  // Client side: SNI + certificate verification against `host` when `verify`.
  awaitable<void> connect_tls(const std::string& host, bool verify, error_code& ec);

  awaitable<size_t> read_some(asio::mutable_buffer buffer, error_code& ec);
  awaitable<void> write(asio::const_buffer buffer, error_code& ec);
  awaitable<void> write(std::span<const asio::const_buffer> buffers, error_code& ec);

  // Makes pending reads/writes complete with operation_aborted (timeouts, shutdown).
  void cancel();
  // Best-effort orderly close (TLS close_notify is not awaited).
  void close();

 private:
  tcp::socket plain_;
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls_;
};

}  // namespace postern::net
