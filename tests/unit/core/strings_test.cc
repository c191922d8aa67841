#include "core/strings.h"

#include <gtest/gtest.h>

namespace postern {

TEST(Strings, HeaderTokens) {
  EXPECT_TRUE(header_has_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_FALSE(header_has_token("keep-alive,Upgraded", "upgrade"));
  EXPECT_TRUE(header_has_token(" close ", "close"));
}

TEST(Strings, ParseU64RejectsJunk) {
  EXPECT_EQ(parse_u64("42"), 42u);
  EXPECT_FALSE(parse_u64("+42"));
  EXPECT_FALSE(parse_u64("4 2"));
  EXPECT_FALSE(parse_u64("18446744073709551616"));
  EXPECT_EQ(parse_u64("18446744073709551615"), 18446744073709551615ull);
}

TEST(Strings, JsonEscape) {
  std::string out;
  append_json_escaped(out, "a\"b\\c\n\x01");
  EXPECT_EQ(out, "a\\\"b\\\\c\\n\\u0001");
}

}  // namespace postern
