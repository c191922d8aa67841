#include "upstream/host_refresher.h"

#include <algorithm>

#include <fmt/format.h>

#include "config/address.h"
#include "core/log.h"
#include "dns/channel.h"

namespace postern::upstream {
namespace {

using Clock = std::chrono::steady_clock;

// A record set in a canonical order, so a reordered answer is not a change.
AddressList to_addresses(const std::vector<dns::Address>& in) {
  AddressList out;
  for (const auto& a : in) {
    config::SocketAddress sa;
    sa.storage = a.storage;
    sa.length = a.length;
    sa.text = config::format_socket_address(reinterpret_cast<const sockaddr*>(&sa.storage));
    if (std::none_of(out.begin(), out.end(), [&](const auto& o) { return o.text == sa.text; })) out.push_back(sa);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.text < b.text; });
  return out;
}

bool same(const AddressList& a, const AddressList& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) { return x.text == y.text; });
}

std::string joined(const AddressList& a) {
  std::string s;
  for (const auto& x : a) s += (s.empty() ? "" : ", ") + x.text;
  return s;
}

}  // namespace

std::unique_ptr<HostRefresher> HostRefresher::start(const config::DnsConfig& dns, std::string& error) {
  auto channel = dns::Channel::create(dns::ChannelOptions{dns.servers, dns.timeout, 2}, error);
  if (!channel) return nullptr;
  return std::unique_ptr<HostRefresher>(new HostRefresher(dns, std::move(channel)));
}

HostRefresher::HostRefresher(const config::DnsConfig& dns, std::unique_ptr<dns::Channel> channel)
    : dns_(dns), channel_(std::move(channel)) {
  thread_ = std::thread([this] { run(); });
}

HostRefresher::~HostRefresher() {
  stop_ = true;
  wake_->notify();
  thread_.join();
  channel_.reset();  // pending lookups end here; on_answer ignores them (stop_)
}

std::chrono::milliseconds HostRefresher::min_interval() const {
  return std::min(dns_.refresh, std::chrono::milliseconds(1000));
}

std::shared_ptr<const HostRecord> HostRefresher::track(const config::Endpoint& ep) {
  std::string key = std::string(ep.tls ? "https://" : "http://") + ep.host + ":" + std::to_string(ep.port);
  Entry* entry = nullptr;
  {
    std::lock_guard lock(mutex_);
    for (const auto& e : entries_) {
      if (e->key == key) entry = e.get();
    }
    if (!entry) {
      auto e = std::make_unique<Entry>();
      e->key = key;
      e->record = std::make_shared<HostRecord>(uint32_t(entries_.size()), ep.host, ep.port, ep.tls, wake_);
      // The load just looked it up: the next lookup is due one period from now.
      e->due = Clock::now() + dns_.refresh;
      entry = e.get();
      entries_.push_back(std::move(e));
    }
  }
  // A copy taken before the refresher is woken: it skips an entry only the refresher holds
  // (a name no runtime uses any more), and would skip this one if it ran first.
  std::shared_ptr<HostRecord> record = entry->record;
  if (!ep.addresses.empty()) {
    entry->addresses.store(ep.addresses.size(), std::memory_order_relaxed);
    uint64_t version = 0;
    auto current = record->addresses(version);
    AddressList fresh = ep.addresses;
    std::sort(fresh.begin(), fresh.end(), [](const auto& a, const auto& b) { return a.text < b.text; });
    if (!current || !same(*current, fresh)) record->publish(std::move(fresh));
  }
  wake_->notify();
  return record;
}

void HostRefresher::run() {
  while (!stop_) {
    auto now = Clock::now();
    auto next = now + std::chrono::hours(1);
    std::vector<Entry*> list;
    {
      std::lock_guard lock(mutex_);
      for (const auto& e : entries_) list.push_back(e.get());
    }
    for (Entry* e : list) {
      if (e->record->take_refresh_request()) e->wanted = true;
      if (e->in_flight) continue;  // its answer (or c-ares's timeout) wakes the loop
      auto due = e->due;
      // Only the refresher holds it: no runtime uses this name now. Looked at again when
      // due, in case a runtime being built takes it back.
      if (e->record.use_count() == 1) {
        next = std::min(next, std::max(due, now + min_interval()));
        continue;
      }
      if (e->wanted) due = std::min(due, e->last_start + min_interval());
      if (due <= now) start_lookup(*e, now);
      else next = std::min(next, due);
    }
    if (channel_->poll_once(next, wake_->fd())) wake_->drain();
  }
}

void HostRefresher::start_lookup(Entry& e, Clock::time_point now) {
  e.in_flight = true;
  e.wanted = false;
  e.last_start = now;
  channel_->resolve(e.record->host(), e.record->port(), [this, &e](dns::Answer a) { on_answer(e, std::move(a)); });
}

void HostRefresher::on_answer(Entry& e, dns::Answer answer) {
  e.in_flight = false;
  if (stop_) return;
  auto now = Clock::now();
  const std::string& host = e.record->host();
  if (!answer.ok) {
    e.failed.fetch_add(1, std::memory_order_relaxed);
    if (!e.failing) {
      log::warn("dns: cannot resolve '{}' ({}); {}", host, answer.error,
                e.addresses.load() > 0 ? fmt::format("keeping its last {} address(es)", e.addresses.load())
                                       : std::string("its routes answer 503 until it resolves"));
    }
    e.failing = true;
    e.due = now + dns_.refresh;
    return;
  }
  e.ok.fetch_add(1, std::memory_order_relaxed);
  e.failing = false;
  AddressList fresh = to_addresses(answer.addresses);
  uint64_t version = 0;
  auto current = e.record->addresses(version);
  if (!current || !same(*current, fresh)) {
    log::info("dns: '{}' is now {}", host, joined(fresh));
    e.addresses.store(fresh.size(), std::memory_order_relaxed);
    e.record->publish(std::move(fresh));
  } else {
    e.addresses.store(fresh.size(), std::memory_order_relaxed);
  }
  // A shorter TTL than the period is honoured (the name is about to change), within reason.
  auto interval = dns_.refresh;
  auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(answer.ttl);
  if (answer.ttl.count() > 0 && ttl < interval) interval = std::max(ttl, min_interval());
  e.due = now + interval;
}

std::string HostRefresher::metrics_text() const {
  std::string out =
      "# HELP postern_dns_resolve_total Lookups of backend host names, by host and result.\n"
      "# TYPE postern_dns_resolve_total counter\n";
  std::string gauge =
      "# HELP postern_dns_addresses Addresses in use for a backend host name (its last good record set).\n"
      "# TYPE postern_dns_addresses gauge\n";
  std::lock_guard lock(mutex_);
  std::vector<std::string> seen;  // the same host and port over http and https: one series
  for (const auto& e : entries_) {
    std::string label = e->record->host() + ":" + std::to_string(e->record->port());
    if (std::find(seen.begin(), seen.end(), label) != seen.end()) continue;
    seen.push_back(label);
    out += fmt::format("postern_dns_resolve_total{{host=\"{}\",result=\"ok\"}} {}\n", label, e->ok.load());
    out += fmt::format("postern_dns_resolve_total{{host=\"{}\",result=\"error\"}} {}\n", label, e->failed.load());
    gauge += fmt::format("postern_dns_addresses{{host=\"{}\"}} {}\n", label, e->addresses.load());
  }
  return out + gauge;
}

}  // namespace postern::upstream
