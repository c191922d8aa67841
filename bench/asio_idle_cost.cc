// bench/asio_idle_cost.cc: what Asio itself costs per idle connection, on the heap, before
// Postern holds anything: the reactor state of an accepted socket, and one co_spawned
// coroutine suspended on a socket wait (shaped like ProxySession::run, or minimal with an
// argument). Referenced by docs/benchmarks.md "Idle memory per connection". Build and run:
//   g++ -std=c++20 -O2 -DBOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE=16 bench/asio_idle_cost.cc \
//       -o /tmp/asio_idle_cost && (ulimit -n 10000; /tmp/asio_idle_cost; /tmp/asio_idle_cost minimal)
// Loopback only; nothing is sent.
#include <malloc.h>
#include <boost/asio.hpp>
#include <cstdio>
namespace asio = boost::asio;
struct S {
  asio::ip::tcp::socket& sock;
  bool closing = false;
  bool inflight = false;
  asio::awaitable<bool> start() { co_return true; }
  asio::awaitable<int> handle() { co_return 0; }
  bool prep() { return true; }
};
asio::awaitable<void> run(std::unique_ptr<S> self) {
  S& s = *self;
  if (!co_await s.start()) co_return;
  while (!s.closing) {
    if (!s.inflight) {
      if (!s.prep()) break;
      boost::system::error_code ec;
      co_await s.sock.async_wait(asio::ip::tcp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || s.closing) break;
    }
    if (co_await s.handle() == 1) break;
  }
}
asio::awaitable<void> idle(asio::ip::tcp::socket& s) {
  boost::system::error_code ec;
  co_await s.async_wait(asio::ip::tcp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
}
int main(int argc, char**) {
  asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  const int n = 2000;
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> socks, clients;
  asio::ip::tcp::acceptor acc(io, {asio::ip::make_address("127.0.0.1"), 0});
  size_t b0 = mallinfo2().uordblks;
  for (int i = 0; i < n; ++i) {
    clients.push_back(std::make_unique<asio::ip::tcp::socket>(io));
    clients.back()->connect(acc.local_endpoint());
    socks.push_back(std::make_unique<asio::ip::tcp::socket>(acc.accept()));
  }
  size_t b1 = mallinfo2().uordblks;
  std::printf("two sockets (client+server) incl. reactor state: %.0f bytes per pair\n", double(b1 - b0) / n);
  io.poll();
  size_t before = mallinfo2().uordblks;
  for (int i = 0; i < n; ++i) {
    if (argc > 1) asio::co_spawn(io, idle(*socks[i]), asio::detached);
    else asio::co_spawn(io, run(std::make_unique<S>(S{*socks[i]})), asio::detached);
  }
  io.poll();
  size_t after = mallinfo2().uordblks;
  std::printf("%s: %.0f bytes per connection\n", argc > 1 ? "minimal" : "run-shaped", double(after - before) / n);
}
