#pragma once
// Keeps the revocation lists of `revocations_url` issuers fresh (main thread): one loop per
// such issuer fetches its list every revocations_poll with a conditional GET (ETag) and
// hands every new list to `publish`, which sends it to the workers. A failing fetch keeps
// the last good list and is logged once per failure streak.
//
// Unlike the JWKS fetchers, the pollers outlive a runtime: configure() with each new
// configuration keeps the list of every issuer (by its exact `iss`) that still has a
// revocations_url, so a reload never brings a revoked token back.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/snapshot.h"
#include "filters/auth/revocation_feed.h"
#include "net/asio.h"
#include "upstream/http_get.h"

namespace postern::filters {

class RevocationPollers : public std::enable_shared_from_this<RevocationPollers> {
 public:
  // `iss` is the issuer's exact `iss`; `jtis` is its whole list, replacing the previous one.
  using Publish = std::function<void(const std::string& iss, std::shared_ptr<const RevokedJtis> jtis)>;

  // Biggest list accepted: about 150,000 revoked tokens at the key manager's ~100 bytes each.
  static constexpr size_t kMaxListBytes = 16 << 20;

  RevocationPollers(net::asio::io_context& main_loop, Publish publish);

  // Starts, keeps or stops one loop per issuer of `security` with a revocations_url. A kept
  // issuer keeps its list; a changed URL or period fetches at once. Call before publishing
  // the runtime built from `security`, then install lists() into it.
  void configure(const config::SecurityConfig& security, std::shared_ptr<net::asio::ssl::context> tls);
  // The lists held now, by `iss` (issuers whose list has not arrived yet are left out).
  std::vector<std::pair<std::string, std::shared_ptr<const RevokedJtis>>> lists() const;
  std::vector<RevocationListStats> stats() const;
  void stop();

  // A fetch takes at most this long (the shared control-plane timeout, and never longer
  // than the period, so fetches start exactly every revocations_poll).
  static std::chrono::milliseconds fetch_timeout(std::chrono::milliseconds poll);

 private:
  struct Poll {
    explicit Poll(net::asio::io_context& loop) : timer(loop) {}
    std::string iss, name, url;
    std::chrono::milliseconds every{10'000};
    std::shared_ptr<net::asio::ssl::context> tls;
    RevocationFeed feed;
    net::asio::steady_timer timer;
    bool stopped = false;
  };
  std::shared_ptr<Poll> adopt(std::shared_ptr<Poll> old, const config::JwtIssuer& cfg,
                              std::shared_ptr<net::asio::ssl::context> tls);
  net::awaitable<void> run(std::shared_ptr<Poll> p);
  void handle(Poll& p, const upstream::HttpGetResult& fetched);
  static void halt(Poll& p);

  net::asio::io_context* loop_;
  Publish publish_;
  std::vector<std::shared_ptr<Poll>> polls_;
};

}  // namespace postern::filters
