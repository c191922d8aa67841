#pragma once
// A tiny authoritative DNS server for tests: UDP on 127.0.0.1 at a free port, answering A
// and AAAA questions from a table the test changes while it runs. A name not in the table
// gets NXDOMAIN; a name with no address of the asked family gets an empty NOERROR answer.
// stop() closes the socket, so lookups fail the way they do when a name server is down.
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace postern::itest {

class DnsServer {
 public:
  DnsServer();  // binds and starts answering
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // The record set of `name` (IPv4 and IPv6 literals mixed); every answer has `ttl`.
  void set(const std::string& name, std::vector<std::string> addresses, uint32_t ttl = 1);
  void remove(const std::string& name);
  void stop();
  // Questions answered so far for `name` (any type, any result).
  int queries(const std::string& name) const;

 private:
  void serve();
  std::string answer(const std::string& query);

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  struct Record {
    std::vector<std::string> addresses;
    uint32_t ttl = 1;
  };
  std::map<std::string, Record> records_;
  std::map<std::string, int> queries_;
  std::thread thread_;
};

}  // namespace postern::itest
