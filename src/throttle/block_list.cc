#include "throttle/block_list.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <arpa/inet.h>

namespace postern::throttle {

namespace {

bool parse_ip(std::string_view text, bool& v6, std::array<uint8_t, 16>& out) {
  char buf[64];
  if (text.empty() || text.size() >= sizeof buf) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  out.fill(0);
  if (inet_pton(AF_INET, buf, out.data()) == 1) {
    v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, buf, out.data()) == 1) {
    v6 = true;
    return true;
  }
  return false;
}

bool prefix_match(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& net, unsigned prefix) {
  unsigned full = prefix / 8;
  if (std::memcmp(a.data(), net.data(), full) != 0) return false;
  unsigned rest = prefix % 8;
  if (rest == 0) return true;
  uint8_t mask = uint8_t(0xff << (8 - rest));
  return (a[full] & mask) == (net[full] & mask);
}

}  // namespace

const char* block_type_name(BlockRule::Type t) {
  switch (t) {
    case BlockRule::Type::kIp: return "ip";
    case BlockRule::Type::kApi: return "api";
    case BlockRule::Type::kApplication: return "application";
    case BlockRule::Type::kUser: return "user";
  }
  return "?";
}

bool parse_block_type(std::string_view s, BlockRule::Type& out) {
  if (s == "ip") out = BlockRule::Type::kIp;
  else if (s == "api") out = BlockRule::Type::kApi;
  else if (s == "application") out = BlockRule::Type::kApplication;
  else if (s == "user") out = BlockRule::Type::kUser;
  else return false;
  return true;
}

std::string validate_block_rule(const BlockRule& r) {
  if (r.value.empty()) return "a blocking condition needs a value";
  if (r.value.size() > 512) return "a blocking condition's value is at most 512 bytes";
  if (r.type != BlockRule::Type::kIp) return "";
  std::string_view v = r.value;
  size_t slash = v.find('/');
  bool v6;
  std::array<uint8_t, 16> addr;
  if (!parse_ip(v.substr(0, slash), v6, addr)) return "'" + r.value + "' is not an IP address or CIDR range";
  if (slash != std::string_view::npos) {
    unsigned bits = 0;
    auto tail = v.substr(slash + 1);
    auto [p, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), bits);
    if (ec != std::errc() || p != tail.data() + tail.size() || tail.empty() || bits > (v6 ? 128u : 32u))
      return "'" + r.value + "' has a bad prefix length";
  }
  return "";
}

BlockList::BlockList(std::vector<BlockRule> rules) : rules_(std::move(rules)) {
  for (const auto& r : rules_) {
    switch (r.type) {
      case BlockRule::Type::kIp: {
        if (!validate_block_rule(r).empty()) break;
        Net n;
        std::string_view v = r.value;
        size_t slash = v.find('/');
        parse_ip(v.substr(0, slash), n.v6, n.addr);
        n.prefix = n.v6 ? 128 : 32;
        if (slash != std::string_view::npos) {
          auto tail = v.substr(slash + 1);
          std::from_chars(tail.data(), tail.data() + tail.size(), n.prefix);
        }
        nets_.push_back(n);
        break;
      }
      case BlockRule::Type::kApi: apis_.push_back(r.value); break;
      case BlockRule::Type::kApplication: applications_.push_back(r.value); break;
      case BlockRule::Type::kUser: users_.push_back(r.value); break;
    }
  }
}

bool BlockList::blocks_ip(std::string_view ip) const {
  if (nets_.empty()) return false;
  bool v6;
  std::array<uint8_t, 16> a;
  if (!parse_ip(ip, v6, a)) return false;
  // An IPv4 client seen on a dual-stack socket (::ffff:a.b.c.d) is matched as IPv4.
  if (v6 && std::all_of(a.begin(), a.begin() + 10, [](uint8_t b) { return b == 0; }) && a[10] == 0xff &&
      a[11] == 0xff) {
    std::array<uint8_t, 16> v4{};
    std::memcpy(v4.data(), a.data() + 12, 4);
    a = v4;
    v6 = false;
  }
  for (const auto& n : nets_) {
    if (n.v6 == v6 && prefix_match(a, n.addr, n.prefix)) return true;
  }
  return false;
}

bool BlockList::blocks_api(std::string_view name, std::string_view version) const {
  for (const auto& a : apis_) {
    if (a == name) return true;
    if (a.size() == name.size() + 1 + version.size() && a.starts_with(name) && a[name.size()] == ':' &&
        std::string_view(a).substr(name.size() + 1) == version)
      return true;
  }
  return false;
}

bool BlockList::blocks_application(std::string_view id, std::string_view name) const {
  for (const auto& a : applications_) {
    if ((!id.empty() && a == id) || (!name.empty() && a == name)) return true;
  }
  return false;
}

bool BlockList::blocks_user(std::string_view user) const {
  if (user.empty()) return false;
  return std::find(users_.begin(), users_.end(), user) != users_.end();
}

Blocker::Blocker() : list_(std::make_shared<const BlockList>()) {}

void Blocker::publish_locked() {
  std::vector<BlockRule> all = config_rules_;
  all.insert(all.end(), admin_rules_.begin(), admin_rules_.end());
  list_ = std::make_shared<const BlockList>(std::move(all));
  version_.fetch_add(1, std::memory_order_acq_rel);
}

void Blocker::set_config_rules(std::vector<BlockRule> rules) {
  std::lock_guard lock(mu_);
  for (auto& r : rules) r.id = next_id_++;
  config_rules_ = std::move(rules);
  publish_locked();
}

uint64_t Blocker::add(BlockRule rule) {
  std::lock_guard lock(mu_);
  rule.id = next_id_++;
  rule.origin = "admin";
  uint64_t id = rule.id;
  admin_rules_.push_back(std::move(rule));
  publish_locked();
  return id;
}

bool Blocker::remove(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(admin_rules_.begin(), admin_rules_.end(), [&](const BlockRule& r) { return r.id == id; });
  if (it == admin_rules_.end()) return false;
  admin_rules_.erase(it);
  publish_locked();
  return true;
}

std::shared_ptr<const BlockList> Blocker::current() const {
  std::lock_guard lock(mu_);
  return list_;
}

}  // namespace postern::throttle
