#pragma once
// One backend host name (with its port and scheme) that the gateway keeps resolving. The
// refresher thread publishes each new record set here; workers notice it with one atomic
// load per attempt (the version) and copy the set only when it changed (host_cache.h), so
// the request path takes no lock. A worker that fails to connect asks for an early lookup.
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/snapshot.h"

namespace postern::upstream {

// Wakes the refresher's thread (an eventfd it polls).
class Wakeup {
 public:
  Wakeup() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~Wakeup() { if (fd_ >= 0) ::close(fd_); }
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;
  int fd() const { return fd_; }
  void notify() const {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
  }
  void drain() const {
    uint64_t n;
    [[maybe_unused]] ssize_t r = ::read(fd_, &n, sizeof n);
  }

 private:
  int fd_;
};

using AddressList = std::vector<config::SocketAddress>;

class HostRecord {
 public:
  HostRecord(uint32_t id, std::string host, uint16_t port, bool tls, std::shared_ptr<const Wakeup> wake)
      : id_(id), host_(std::move(host)), port_(port), tls_(tls), wake_(std::move(wake)) {}

  uint32_t id() const { return id_; }  // never reused: indexes the workers' caches
  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }
  bool tls() const { return tls_; }

  // Refresher (or the main thread when a load found addresses): the new record set.
  void publish(AddressList addresses);
  // Changes with every publish; 0 until the name first resolved.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }
  // The record set and its version, read together (a mutex: called only when version() moved).
  std::shared_ptr<const AddressList> addresses(uint64_t& version) const;

  // Workers: a connect to one of the addresses failed; cheap when already asked.
  void request_refresh() const {
    if (!refresh_wanted_.exchange(true, std::memory_order_relaxed) && wake_) wake_->notify();
  }
  // Refresher: whether a refresh was asked for since the last call.
  bool take_refresh_request() const { return refresh_wanted_.exchange(false, std::memory_order_relaxed); }

 private:
  const uint32_t id_;
  const std::string host_;
  const uint16_t port_;
  const bool tls_;
  std::shared_ptr<const Wakeup> wake_;
  std::atomic<uint64_t> version_{0};
  mutable std::atomic<bool> refresh_wanted_{false};
  mutable std::mutex mutex_;
  std::shared_ptr<const AddressList> addresses_;  // under mutex_
};

}  // namespace postern::upstream
