#include "upstream/connection_pool.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cstring>

namespace postern::upstream {

std::string pool_key_for(bool tls, const std::string& address_text, const std::string& host) {
  return std::string(tls ? "https://" : "http://") + address_text + "/" + host;
}

std::unique_ptr<UpstreamConnection> ConnectionPool::take_idle(std::string_view pool_key) {
  auto it = idle_.find(pool_key);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  auto conn = std::move(it->second.back());
  it->second.pop_back();
  --idle_total_;
  return conn;
}

std::unique_ptr<UpstreamConnection> ConnectionPool::create(const Target& target) {
  net::tcp::socket socket(ioc_);
  if (target.tls) {
    if (!client_tls_) return nullptr;
    return std::make_unique<UpstreamConnection>(net::Transport(std::move(socket), *client_tls_),
                                                std::string(target.pool_key));
  }
  return std::make_unique<UpstreamConnection>(net::Transport(std::move(socket)), std::string(target.pool_key));
}

net::awaitable<void> ConnectionPool::connect(UpstreamConnection& conn, const Target& target, bool verify_tls,
                                             net::error_code& ec) {
  net::tcp::endpoint ep;
  std::memcpy(ep.data(), target.address, target.address_length);
  ep.resize(target.address_length);
  co_await conn.transport.socket().async_connect(ep, net::with_ec(ec));
  if (ec) co_return;
  // Requests are written whole; Nagle would only delay the last segment.
  conn.transport.socket().set_option(net::tcp::no_delay(true), ec);
  if (ec) co_return;
  if (target.tls) co_await conn.transport.connect_tls(std::string(target.tls_host), verify_tls, ec);
}

void ConnectionPool::release(std::unique_ptr<UpstreamConnection> conn, SteadyTime now) {
  auto& bucket = idle_[conn->pool_key];
  if (bucket.size() >= max_idle_per_key_) {
    conn->transport.close();
    return;
  }
  conn->idle_since = now;
  bucket.push_back(std::move(conn));
  ++idle_total_;
}

void ConnectionPool::evict_idle(SteadyTime now, Millis idle_timeout) {
  for (auto& [key, bucket] : idle_) {
    // Oldest first: bucket is ordered by release time.
    size_t keep_from = 0;
    while (keep_from < bucket.size() && now - bucket[keep_from]->idle_since >= idle_timeout) {
      bucket[keep_from]->transport.close();
      ++keep_from;
    }
    if (keep_from) {
      bucket.erase(bucket.begin(), bucket.begin() + long(keep_from));
      idle_total_ -= keep_from;
    }
  }
}

void ConnectionPool::close_idle(std::string_view pool_key) {
  auto it = idle_.find(pool_key);
  if (it == idle_.end()) return;
  for (auto& c : it->second) c->transport.close();
  idle_total_ -= it->second.size();
  it->second.clear();
}

void ConnectionPool::close_all() {
  for (auto& [key, bucket] : idle_) {
    for (auto& c : bucket) c->transport.close();
  }
  idle_.clear();
  idle_total_ = 0;
}

}  // namespace postern::upstream
