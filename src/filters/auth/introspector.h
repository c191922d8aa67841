#pragma once
// Opaque OAuth2 tokens, asked of the key manager (RFC 7662) by the worker that needs them,
// without blocking it: the request's coroutine waits, the worker goes on. Answers are cached
// per worker (active: until exp, at most cache_active_max; inactive: cache_inactive), and
// concurrent requests with the same token share one call (single flight). One per worker
// (a per-worker slot of the auth filter) and per config generation. The call itself runs
// on its own, so a request that stops waiting (its client went away) ends its wait at once
// without failing the others that share the call.
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include "config/snapshot.h"
#include "core/clock.h"
#include "filters/auth/token_cache.h"
#include "filters/identity.h"
#include "net/asio.h"

namespace postern::filters {

class Introspector : public std::enable_shared_from_this<Introspector> {
 public:
  Introspector(net::asio::io_context& loop, std::shared_ptr<const config::Snapshot> config,
               std::shared_ptr<net::asio::ssl::context> client_tls)
      : loop_(loop), config_(std::move(config)), client_tls_(std::move(client_tls)) {}

  struct Result {
    enum class Kind : uint8_t {
      kActive,       // identity set
      kInactive,     // the key manager says the token is not active (401 900901)
      kExpired,      // active, but its exp has passed (401 900903)
      kUnavailable,  // the key manager did not answer properly in time (503)
    } kind = Kind::kUnavailable;
    std::shared_ptr<const Identity> identity;
    std::string reason;
  };

  // Cancellable: a cancelled wait returns kUnavailable with reason "cancelled".
  net::awaitable<Result> introspect(std::string token);

 private:
  struct Cached {
    Result result;
    SteadyTime until;
  };
  struct Pending {
    explicit Pending(net::asio::io_context& loop) : done(loop, SteadyTime::max()) {}
    net::asio::steady_timer done;  // cancelled when the call has the result
    Result result;
    bool finished = false;
  };
  // Asks the key manager, then wakes every request waiting on `pending`.
  net::awaitable<void> lead(std::string token, std::string key, std::shared_ptr<Pending> pending);
  net::awaitable<Result> call(const std::string& token);

  net::asio::io_context& loop_;
  std::shared_ptr<const config::Snapshot> config_;
  std::shared_ptr<net::asio::ssl::context> client_tls_;
  std::unordered_map<std::string, Cached> cache_;                      // by token digest
  std::unordered_map<std::string, std::shared_ptr<Pending>> pending_;  // by token digest
};

}  // namespace postern::filters
