#pragma once
// Per-worker upstream keep-alive pools (design.md "Threading": a worker owns its pools, so
// no locks). Connections are reused most-recently-used first, so a few stay warm rather
// than many going stale; idle ones are closed after the configured idle timeout.
#include <sys/socket.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "net/asio.h"
#include "net/transport.h"

namespace postern::upstream {

// Where to connect: one resolved address of one endpoint.
struct Target {
  const sockaddr* address = nullptr;
  socklen_t address_length = 0;
  bool tls = false;
  std::string_view tls_host;  // SNI and certificate name
  std::string_view pool_key;  // identifies interchangeable connections (scheme+address+host)
};

// Connections to the same address for the same host name and scheme are interchangeable.
std::string pool_key_for(bool tls, const std::string& address_text, const std::string& host);

class UpstreamConnection {
 public:
  UpstreamConnection(net::Transport transport, std::string pool_key)
      : transport(std::move(transport)), pool_key(std::move(pool_key)) {}
  net::Transport transport;
  std::string pool_key;
  SteadyTime idle_since{};
  uint64_t requests = 0;  // completed exchanges; > 0 means it came from the pool
};

class ConnectionPool {
 public:
  ConnectionPool(net::asio::io_context& ioc, size_t max_idle_per_key)
      : ioc_(ioc), max_idle_per_key_(max_idle_per_key) {}

  // Replaces the client TLS context (after a reload); existing connections keep theirs.
  void set_client_tls(std::shared_ptr<net::asio::ssl::context> tls) { client_tls_ = std::move(tls); }
  void set_max_idle_per_key(size_t n) { max_idle_per_key_ = n; }

  // The most recently used idle connection for the key, or null.
  std::unique_ptr<UpstreamConnection> take_idle(std::string_view pool_key);

  // A new, unconnected connection; connect() it. Null when TLS is needed but unavailable.
  std::unique_ptr<UpstreamConnection> create(const Target& target);

  // TCP connect (+ TLS handshake) for a connection made by create(). The caller enforces
  // the connect timeout by cancelling conn.transport.
  net::awaitable<void> connect(UpstreamConnection& conn, const Target& target, bool verify_tls, net::error_code& ec);

  // Returns a connection whose last exchange completed cleanly.
  void release(std::unique_ptr<UpstreamConnection> conn, SteadyTime now);

  // Closes connections idle since before now - idle_timeout.
  void evict_idle(SteadyTime now, Millis idle_timeout);
  void close_all();
  // Closes the idle connections of one key (an address that left its host's record set).
  void close_idle(std::string_view pool_key);
  size_t idle_count() const { return idle_total_; }

 private:
  net::asio::io_context& ioc_;
  size_t max_idle_per_key_;
  std::shared_ptr<net::asio::ssl::context> client_tls_;
  // Heterogeneous lookup: a request looks its key up by string_view without allocating.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamConnection>>, KeyHash, std::equal_to<>> idle_;
  size_t idle_total_ = 0;
};

}  // namespace postern::upstream
