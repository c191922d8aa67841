#include "filters/subscription.h"

#include <gtest/gtest.h>

namespace postern::filters {
namespace {

TEST(Subscription, NameMustMatchVersionMayBeExactStarOrAbsent) {
  std::vector<Identity::Subscription> subs = {{"Other", "1.0.0", "Gold"}, {"Pets", "2.0.0", "Silver"}};
  EXPECT_EQ(find_subscription(subs, "Pets", "1.0.0"), nullptr);
  ASSERT_NE(find_subscription(subs, "Pets", "2.0.0"), nullptr);
  EXPECT_EQ(find_subscription(subs, "Pets", "2.0.0")->tier, "Silver");
  subs.push_back({"Pets", "*", "Bronze"});
  EXPECT_EQ(find_subscription(subs, "Pets", "1.0.0")->tier, "Bronze");
  std::vector<Identity::Subscription> by_name = {{"Pets", "", "Gold"}};  // WSO2 API keys may omit it
  EXPECT_EQ(find_subscription(by_name, "Pets", "9.9.9")->tier, "Gold");
  EXPECT_EQ(find_subscription(by_name, "pets", "9.9.9"), nullptr);  // names are case-sensitive
}

}  // namespace
}  // namespace postern::filters
