#include "dns/channel.h"

#include <ares.h>
#include <poll.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace postern::dns {
namespace {

struct Pending {
  Channel::Callback done;
  size_t* counter;
};

ares_channel as_channel(void* c) { return static_cast<ares_channel>(c); }

}  // namespace

std::unique_ptr<Channel> Channel::create(const ChannelOptions& options, std::string& error) {
  static std::once_flag once;
  static int init_status = ARES_SUCCESS;
  std::call_once(once, [] { init_status = ares_library_init(ARES_LIB_INIT_ALL); });
  if (init_status != ARES_SUCCESS) {
    error = std::string("c-ares: ") + ares_strerror(init_status);
    return nullptr;
  }
  ares_options opts{};
  opts.timeout = int(options.timeout.count());
  opts.tries = options.tries;
  ares_channel ch = nullptr;
  int rc = ares_init_options(&ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
  if (rc != ARES_SUCCESS) {
    error = std::string("c-ares: ") + ares_strerror(rc);
    return nullptr;
  }
  if (!options.servers.empty()) {
    std::string csv;
    for (const auto& s : options.servers) csv += (csv.empty() ? "" : ",") + s;
    rc = ares_set_servers_ports_csv(ch, csv.c_str());
    if (rc != ARES_SUCCESS) {
      ares_destroy(ch);
      error = "dns.servers '" + csv + "': " + ares_strerror(rc);
      return nullptr;
    }
  }
  return std::unique_ptr<Channel>(new Channel(ch));
}

Channel::~Channel() {
  // Runs the callbacks of lookups still pending (with ARES_EDESTRUCTION): they must not
  // reach into what owns the channel, which is being destroyed.
  ares_destroy(as_channel(channel_));
}

void Channel::resolve(const std::string& host, uint16_t port, Callback done) {
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // NOSORT: RFC 6724 sorting connects a UDP socket per address; the refresher sorts itself.
  hints.ai_flags = ARES_AI_NOSORT | ARES_AI_NUMERICSERV;
  ++pending_;
  auto* p = new Pending{std::move(done), &pending_};
  std::string service = std::to_string(port);
  ares_getaddrinfo(as_channel(channel_), host.c_str(), service.c_str(), &hints, &Channel::on_answer, p);
}

void Channel::on_answer(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
  std::unique_ptr<Pending> p(static_cast<Pending*>(arg));
  --*p->counter;
  Answer a;
  if (status == ARES_SUCCESS && result != nullptr) {
    int ttl = -1;
    for (ares_addrinfo_node* n = result->nodes; n != nullptr; n = n->ai_next) {
      if (n->ai_family != AF_INET && n->ai_family != AF_INET6) continue;
      if (n->ai_addrlen > sizeof(sockaddr_storage)) continue;
      Address addr;
      std::memcpy(&addr.storage, n->ai_addr, n->ai_addrlen);
      addr.length = socklen_t(n->ai_addrlen);
      a.addresses.push_back(addr);
      ttl = ttl < 0 ? n->ai_ttl : std::min(ttl, n->ai_ttl);
    }
    a.ttl = std::chrono::seconds(std::max(ttl, 0));
    a.ok = !a.addresses.empty();
    if (!a.ok) a.error = "no IPv4 or IPv6 address";
  } else {
    a.error = ares_strerror(status);
  }
  if (result != nullptr) ares_freeaddrinfo(result);
  p->done(std::move(a));
}

bool Channel::poll_once(std::chrono::steady_clock::time_point deadline, int wake_fd) {
  ares_socket_t socks[ARES_GETSOCK_MAXNUM];
  int bits = ares_getsock(as_channel(channel_), socks, ARES_GETSOCK_MAXNUM);
  pollfd fds[ARES_GETSOCK_MAXNUM + 1];
  nfds_t n = 0;
  for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
    short events = 0;
    if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
    if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
    if (events != 0) fds[n++] = pollfd{socks[i], events, 0};
  }
  const nfds_t ares_count = n;
  if (wake_fd >= 0) fds[n++] = pollfd{wake_fd, POLLIN, 0};
  auto now = std::chrono::steady_clock::now();
  long wait_ms = deadline > now
                     ? long(std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count())
                     : 0;
  if (pending_ > 0) {
    timeval max{wait_ms / 1000, (wait_ms % 1000) * 1000}, tv{};
    if (timeval* t = ares_timeout(as_channel(channel_), &max, &tv)) wait_ms = t->tv_sec * 1000 + (t->tv_usec + 999) / 1000;
  }
  int ready = ::poll(fds, n, int(std::min(wait_ms, 60'000L)));
  bool woken = false;
  bool any = false;
  for (nfds_t i = 0; ready > 0 && i < ares_count; ++i) {
    if (fds[i].revents == 0) continue;
    any = true;
    bool rd = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
    bool wr = (fds[i].revents & POLLOUT) != 0;
    ares_process_fd(as_channel(channel_), rd ? fds[i].fd : ARES_SOCKET_BAD, wr ? fds[i].fd : ARES_SOCKET_BAD);
  }
  if (wake_fd >= 0 && ready > 0 && fds[ares_count].revents != 0) woken = true;
  // Nothing was ready: let c-ares retry or fail the lookups whose time is up.
  if (!any) ares_process_fd(as_channel(channel_), ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  return woken;
}

}  // namespace postern::dns
