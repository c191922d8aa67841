#pragma once
// Opaque OAuth2 tokens, asked of the key manager (RFC 7662) by the worker that needs them,
// without blocking it: the request's coroutine waits, the worker goes on. Answers are cached
// per worker (active: until exp, at most cache_active_max; inactive: cache_inactive), and
// concurrent requests with the same token share one call (single flight).
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include "filters/filter.h"
#include "filters/token_cache.h"
#include "net/asio.h"
#include "server/runtime.h"

namespace postern::server {

class Introspector {
 public:
  explicit Introspector(net::asio::io_context& loop) : loop_(loop) {}

  struct Result {
    enum class Kind : uint8_t {
      kActive,       // identity set
      kInactive,     // the key manager says the token is not active (401 900901)
      kExpired,      // active, but its exp has passed (401 900903)
      kUnavailable,  // the key manager did not answer properly in time (503)
    } kind = Kind::kUnavailable;
    std::shared_ptr<const filters::Identity> identity;
    std::string reason;
  };

  net::awaitable<Result> introspect(std::string token, std::shared_ptr<const Runtime> runtime);

 private:
  struct Cached {
    Result result;
    SteadyTime until;
  };
  struct Pending {
    explicit Pending(net::asio::io_context& loop) : done(loop, SteadyTime::max()) {}
    net::asio::steady_timer done;  // cancelled when the leader has the result
    Result result;
  };
  net::awaitable<Result> call(const std::string& token, const Runtime& runtime);

  net::asio::io_context& loop_;
  uint64_t generation_ = 0;  // caches belong to one runtime generation
  std::unordered_map<std::string, Cached> cache_;                     // by token digest
  std::unordered_map<std::string, std::shared_ptr<Pending>> pending_;  // by token digest
};

}  // namespace postern::server
