#include "throttle/block_list.h"

#include <gtest/gtest.h>

namespace postern::throttle {
namespace {

BlockRule rule(BlockRule::Type t, std::string v) {
  BlockRule r;
  r.type = t;
  r.value = std::move(v);
  return r;
}

TEST(BlockList, IpAndCidrRanges) {
  BlockList l({rule(BlockRule::Type::kIp, "10.0.0.0/8"), rule(BlockRule::Type::kIp, "203.0.113.7"),
               rule(BlockRule::Type::kIp, "2001:db8::/32")});
  EXPECT_TRUE(l.blocks_ip("10.1.2.3"));
  EXPECT_FALSE(l.blocks_ip("11.0.0.1"));
  EXPECT_TRUE(l.blocks_ip("203.0.113.7"));
  EXPECT_FALSE(l.blocks_ip("203.0.113.8"));
  EXPECT_TRUE(l.blocks_ip("2001:db8:1::1"));
  EXPECT_FALSE(l.blocks_ip("2001:db9::1"));
  EXPECT_TRUE(l.blocks_ip("::ffff:10.9.9.9"));  // IPv4-mapped on a dual-stack socket
  EXPECT_FALSE(l.blocks_ip("not an address"));
}

TEST(BlockList, OddPrefixLengths) {
  BlockList l({rule(BlockRule::Type::kIp, "192.168.1.128/25")});
  EXPECT_TRUE(l.blocks_ip("192.168.1.200"));
  EXPECT_FALSE(l.blocks_ip("192.168.1.127"));
}

TEST(BlockList, ApiApplicationUser) {
  BlockList l({rule(BlockRule::Type::kApi, "PetStore:1.0.0"), rule(BlockRule::Type::kApi, "Orders"),
               rule(BlockRule::Type::kApplication, "app-7"), rule(BlockRule::Type::kUser, "mallory")});
  EXPECT_TRUE(l.blocks_api("PetStore", "1.0.0"));
  EXPECT_FALSE(l.blocks_api("PetStore", "2.0.0"));
  EXPECT_TRUE(l.blocks_api("Orders", "9"));
  EXPECT_TRUE(l.blocks_application("app-7", "whatever"));
  EXPECT_TRUE(l.blocks_application("", "app-7"));
  EXPECT_FALSE(l.blocks_application("app-8", ""));
  EXPECT_TRUE(l.blocks_user("mallory"));
  EXPECT_FALSE(l.blocks_user(""));
}

TEST(BlockList, Validation) {
  EXPECT_EQ(validate_block_rule(rule(BlockRule::Type::kIp, "10.0.0.0/8")), "");
  EXPECT_NE(validate_block_rule(rule(BlockRule::Type::kIp, "10.0.0.0/33")), "");
  EXPECT_NE(validate_block_rule(rule(BlockRule::Type::kIp, "10.0.0/8")), "");
  EXPECT_NE(validate_block_rule(rule(BlockRule::Type::kIp, "10.0.0.0/")), "");
  EXPECT_NE(validate_block_rule(rule(BlockRule::Type::kUser, "")), "");
}

TEST(Blocker, AdminRulesPublishANewVersion) {
  Blocker b;
  uint64_t v0 = b.version();
  b.set_config_rules({rule(BlockRule::Type::kUser, "eve")});
  EXPECT_GT(b.version(), v0);
  uint64_t id = b.add(rule(BlockRule::Type::kIp, "127.0.0.1"));
  auto l = b.current();
  EXPECT_TRUE(l->blocks_ip("127.0.0.1"));
  EXPECT_TRUE(l->blocks_user("eve"));
  // Config rules cannot be removed through the admin API; admin rules can.
  EXPECT_FALSE(b.remove(l->rules().front().id));
  EXPECT_TRUE(b.remove(id));
  EXPECT_FALSE(b.current()->blocks_ip("127.0.0.1"));
  // Reloading the config keeps the admin's rules.
  b.add(rule(BlockRule::Type::kUser, "mallory"));
  b.set_config_rules({});
  EXPECT_TRUE(b.current()->blocks_user("mallory"));
  EXPECT_FALSE(b.current()->blocks_user("eve"));
}

}  // namespace
}  // namespace postern::throttle
