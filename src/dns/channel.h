#pragma once
// A c-ares resolver channel, driven by whoever owns it (no thread of its own): resolve()
// starts a lookup, poll_once() waits for the channel's sockets and runs the callbacks of
// lookups that finished or timed out. Used at load (resolve_all.h) and by the backend host
// refresher's thread (upstream/host_refresher.h). Not thread-safe: one thread per channel.
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

struct ares_addrinfo;  // <ares.h>, kept out of this header

namespace postern::dns {

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

struct Answer {
  bool ok = false;
  std::string error;               // c-ares' reason when !ok ("Domain name not found", "Timeout")
  std::vector<Address> addresses;  // every A and AAAA answer, port set
  std::chrono::seconds ttl{0};     // the smallest TTL of the answers (0 from the hosts file)
};

struct ChannelOptions {
  // "ip" or "ip:port" / "[v6]:port" name servers; empty = the system's (resolv.conf).
  std::vector<std::string> servers;
  std::chrono::milliseconds timeout{2000};  // per try and server
  int tries = 2;
};

class Channel {
 public:
  using Callback = std::function<void(Answer)>;

  // Null (and `error` set) when c-ares cannot start or a server is not an address.
  static std::unique_ptr<Channel> create(const ChannelOptions& options, std::string& error);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Looks `host` up (hosts file first, then DNS); `done` runs later from poll_once(), or
  // at once when the answer is known without a query (a numeric host, the hosts file).
  void resolve(const std::string& host, uint16_t port, Callback done);
  // Waits until a socket of the channel is ready, `wake_fd` (when >= 0) is readable, or
  // `deadline`; then processes answers and timeouts. True when `wake_fd` was readable.
  bool poll_once(std::chrono::steady_clock::time_point deadline, int wake_fd = -1);
  size_t pending() const { return pending_; }

 private:
  explicit Channel(void* channel) : channel_(channel) {}
  static void on_answer(void* arg, int status, int timeouts, ::ares_addrinfo* result);

  void* channel_;  // ares_channel
  size_t pending_ = 0;
};

}  // namespace postern::dns
