#include "dns_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace postern::itest {
namespace {

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeAaaa = 28;

void put16(std::string& out, uint16_t v) {
  out += char(v >> 8);
  out += char(v & 0xff);
}

void put32(std::string& out, uint32_t v) {
  put16(out, uint16_t(v >> 16));
  put16(out, uint16_t(v & 0xffff));
}

uint16_t get16(const std::string& s, size_t at) { return uint16_t((uint8_t(s[at]) << 8) | uint8_t(s[at + 1])); }

}  // namespace

DnsServer::DnsServer() {
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error("dns server: cannot bind a UDP socket on 127.0.0.1");
  }
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { serve(); });
}

DnsServer::~DnsServer() { stop(); }

void DnsServer::stop() {
  if (stop_.exchange(true)) return;
  thread_.join();
  ::close(fd_);
}

void DnsServer::set(const std::string& name, std::vector<std::string> addresses, uint32_t ttl) {
  std::lock_guard lock(mutex_);
  records_[name] = Record{std::move(addresses), ttl};
}

void DnsServer::remove(const std::string& name) {
  std::lock_guard lock(mutex_);
  records_.erase(name);
}

int DnsServer::queries(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = queries_.find(name);
  return it == queries_.end() ? 0 : it->second;
}

void DnsServer::serve() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[512];
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 12) continue;
    std::string reply = answer(std::string(buf, size_t(n)));
    if (!reply.empty()) ::sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), from_len);
  }
}

// One question in, one answer out: the header, the question copied back, then one record
// per address of the asked family, the name as a pointer to the question (0xC00C).
std::string DnsServer::answer(const std::string& q) {
  if (get16(q, 4) != 1) return "";
  size_t at = 12;
  std::string name;
  while (at < q.size() && q[at] != 0) {
    size_t len = uint8_t(q[at]);
    if ((len & 0xc0) != 0 || at + 1 + len > q.size()) return "";
    if (!name.empty()) name += '.';
    for (size_t i = 0; i < len; ++i) name += char(std::tolower(uint8_t(q[at + 1 + i])));
    at += 1 + len;
  }
  if (at + 5 > q.size()) return "";
  const size_t question_end = at + 5;
  const uint16_t type = get16(q, at + 1);
  std::vector<std::string> rdata;
  bool known = false;
  uint32_t ttl = 1;
  {
    std::lock_guard lock(mutex_);
    ++queries_[name];
    auto it = records_.find(name);
    if (it != records_.end()) {
      known = true;
      ttl = it->second.ttl;
      for (const auto& text : it->second.addresses) {
        unsigned char raw[16];
        if (type == kTypeA && inet_pton(AF_INET, text.c_str(), raw) == 1) rdata.emplace_back(reinterpret_cast<char*>(raw), 4);
        if (type == kTypeAaaa && inet_pton(AF_INET6, text.c_str(), raw) == 1)
          rdata.emplace_back(reinterpret_cast<char*>(raw), 16);
      }
    }
  }
  std::string out = q.substr(0, 2);            // id
  put16(out, known ? 0x8580 : 0x8583);         // response, authoritative, RD, RA; NOERROR/NXDOMAIN
  put16(out, 1);                               // questions
  put16(out, uint16_t(rdata.size()));          // answers
  put16(out, 0);
  put16(out, 0);
  out += q.substr(12, question_end - 12);
  for (const auto& r : rdata) {
    put16(out, 0xc00c);
    put16(out, type);
    put16(out, 1);  // IN
    put32(out, ttl);
    put16(out, uint16_t(r.size()));
    out += r;
  }
  return out;
}

}  // namespace postern::itest
