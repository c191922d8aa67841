#pragma once
// Blocking conditions (WSO2's): requests from an IP or range, to an API, by an application
// or by a user are refused with 403 / 900805. A BlockList is immutable; the Blocker holds
// the one in force and swaps it when the admin API changes it, and workers pick the new one
// up on their next request (one relaxed atomic load per request to notice).
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace postern::throttle {

struct BlockRule {
  enum class Type : uint8_t { kIp, kApi, kApplication, kUser };
  uint64_t id = 0;
  Type type = Type::kIp;
  std::string value;   // as given: "10.0.0.0/8", "PetStore:1.0.0", an application id or name, a user
  std::string origin;  // "postern.yaml:12:7" or "admin"
};

const char* block_type_name(BlockRule::Type t);
// Parses "ip", "api", "application", "user".
bool parse_block_type(std::string_view s, BlockRule::Type& out);
// Checks a rule's value (an IP rule must be an address or CIDR range); "" when fine.
std::string validate_block_rule(const BlockRule& r);

class BlockList {
 public:
  BlockList() = default;
  explicit BlockList(std::vector<BlockRule> rules);
  bool empty() const { return rules_.empty(); }
  bool has_ip_rules() const { return !nets_.empty(); }
  const std::vector<BlockRule>& rules() const { return rules_; }

  bool blocks_ip(std::string_view ip) const;                               // textual address
  bool blocks_api(std::string_view name, std::string_view version) const;  // "Name:version" or "Name"
  bool blocks_application(std::string_view id, std::string_view name) const;
  bool blocks_user(std::string_view user) const;

 private:
  struct Net {
    bool v6 = false;
    std::array<uint8_t, 16> addr{};
    unsigned prefix = 0;
  };
  std::vector<BlockRule> rules_;
  std::vector<Net> nets_;
  std::vector<std::string> apis_, applications_, users_;
};

// The block list in force: the config's rules plus those added through the admin API
// (which survive reloads, not restarts). Written on the main thread, read by workers.
class Blocker {
 public:
  Blocker();
  void set_config_rules(std::vector<BlockRule> rules);
  uint64_t add(BlockRule rule);  // returns its id
  bool remove(uint64_t id);      // admin rules only; false when no such rule
  std::shared_ptr<const BlockList> current() const;
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  void publish_locked();
  mutable std::mutex mu_;
  std::vector<BlockRule> config_rules_, admin_rules_;
  std::shared_ptr<const BlockList> list_;
  std::atomic<uint64_t> version_{1};
  uint64_t next_id_ = 1;
};

}  // namespace postern::throttle
