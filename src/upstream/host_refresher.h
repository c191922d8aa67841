#pragma once
// Keeps backend host names resolved while the gateway runs (issue 12): one thread drives a
// c-ares channel (the `dns:` servers, else resolv.conf), looks each name up again every
// `dns.refresh` (sooner when the answer's TTL is shorter, never more often than once a
// second unless dns.refresh is shorter) and right after a worker failed to connect to it
// (at most once per that interval), and publishes each changed record set to its
// HostRecord. A failed lookup keeps the last good set. Workers never wait for it.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/snapshot.h"
#include "upstream/host_record.h"

namespace postern::dns {
class Channel;
struct Answer;
}  // namespace postern::dns

namespace postern::upstream {

class HostRefresher {
 public:
  // Null (and `error`) when the resolver cannot start.
  static std::unique_ptr<HostRefresher> start(const config::DnsConfig& dns, std::string& error);
  ~HostRefresher();  // stops and joins the thread
  HostRefresher(const HostRefresher&) = delete;
  HostRefresher& operator=(const HostRefresher&) = delete;

  // Main thread, while a runtime is built: the record for the endpoint's scheme, host and
  // port (made on first use). The addresses the load found, if any, are published at once,
  // so a reload never starts with an empty set for a name that resolves.
  std::shared_ptr<const HostRecord> track(const config::Endpoint& endpoint);

  // Prometheus text: postern_dns_resolve_total{host,result} and postern_dns_addresses{host}.
  std::string metrics_text() const;

 private:
  struct Entry {
    std::shared_ptr<HostRecord> record;
    std::string key;  // "http://host:port"
    // Refresher thread only:
    std::chrono::steady_clock::time_point due{};
    std::chrono::steady_clock::time_point last_start{};
    bool in_flight = false;
    bool wanted = false;   // a worker asked for an early lookup
    bool failing = false;  // the last lookup failed (logged once per failure streak)
    // Written by the refresher thread, read by metrics_text().
    std::atomic<uint64_t> ok{0};
    std::atomic<uint64_t> failed{0};
    std::atomic<size_t> addresses{0};
  };

  HostRefresher(const config::DnsConfig& dns, std::unique_ptr<dns::Channel> channel);
  void run();
  void start_lookup(Entry& e, std::chrono::steady_clock::time_point now);
  void on_answer(Entry& e, dns::Answer answer);
  std::chrono::milliseconds min_interval() const;

  const config::DnsConfig dns_;
  std::shared_ptr<Wakeup> wake_ = std::make_shared<Wakeup>();
  mutable std::mutex mutex_;  // entries_ (the list; each Entry is the thread's)
  std::vector<std::unique_ptr<Entry>> entries_;
  std::unique_ptr<dns::Channel> channel_;  // after entries_: destroyed first
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace postern::upstream
