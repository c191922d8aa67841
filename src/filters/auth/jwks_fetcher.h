#pragma once
// Keeps the keys of `jwks_url` issuers fresh (main thread). For each such issuer of a
// runtime: fetch at start, refetch every jwks_refresh, refetch early when a worker reports
// an unknown kid (rate-limited by the authenticator), and on failure keep the last good
// keys and retry with backoff. Stops when the runtime it serves is gone.
#include <memory>
#include <vector>

#include "core/clock.h"
#include "filters/auth/jwt_authenticator.h"
#include "jose/key.h"
#include "net/asio.h"

namespace postern::filters {

class JwksFetchers : public std::enable_shared_from_this<JwksFetchers> {
 public:
  // Starts one fetch loop per jwks_url issuer of `auth`; installs the refetch hook.
  static std::shared_ptr<JwksFetchers> start(net::asio::io_context& main_loop,
                                             const std::shared_ptr<JwtAuthenticator>& auth,
                                             const config::SecurityConfig& security,
                                             std::shared_ptr<net::asio::ssl::context> tls);
  void stop();

 private:
  struct Loop {
    size_t issuer = 0;
    std::string url;
    std::chrono::milliseconds refresh{600'000};
    std::unique_ptr<net::asio::steady_timer> timer;
    bool wake_requested = false;
    // Keys the IdP stopped publishing, still honoured until the JWKS they came from would
    // have expired (one refresh period), so tokens signed just before a rotation work.
    std::vector<std::pair<jose::Key, SteadyTime>> retired;
  };
  net::awaitable<void> run(size_t loop_index);
  void wake(size_t issuer);

  net::asio::io_context* loop_ = nullptr;
  std::weak_ptr<JwtAuthenticator> auth_;
  std::shared_ptr<net::asio::ssl::context> tls_;
  std::vector<Loop> loops_;
  bool stopped_ = false;
};

}  // namespace postern::filters
