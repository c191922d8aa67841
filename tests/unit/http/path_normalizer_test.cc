#include "http/path_normalizer.h"

#include <gtest/gtest.h>

namespace postern::http {
namespace {

std::string norm(std::string_view in, bool allow_slash = false) {
  std::string out;
  PathError e = normalize_path(in, out, allow_slash);
  if (e != PathError::kNone) return std::string("ERR:") + path_error_text(e);
  return out;
}

TEST(PathNormalizer, DotSegmentsAndDecoding) {
  EXPECT_EQ(norm("/pets/1.0.0/./items/../items/%35"), "/pets/1.0.0/items/5");
  EXPECT_EQ(norm("/a/b/../../.."), "/");
  EXPECT_EQ(norm("/a/%2e%2e/b"), "/b");       // encoded dots are dots
  EXPECT_EQ(norm("/%7Euser"), "/~user");      // unreserved decoded
  EXPECT_EQ(norm("/a%2fb", true), "/a%2Fb");  // kept encoded, hex upper-cased
  EXPECT_EQ(norm("/a%20b"), "/a%20b");        // reserved/other escapes kept
  EXPECT_EQ(norm("/a%c3%a9"), "/a%C3%A9");
}

TEST(PathNormalizer, SlashesCollapseTrailingKept) {
  EXPECT_EQ(norm("//a///b"), "/a/b");
  EXPECT_EQ(norm("/a/b/"), "/a/b/");
  EXPECT_EQ(norm("/"), "/");
  EXPECT_EQ(norm("/a/.."), "/");
  EXPECT_EQ(norm("/a/../"), "/");
}

TEST(PathNormalizer, Rejections) {
  EXPECT_EQ(norm("a/b"), "ERR:request target must be a path starting with '/'");
  EXPECT_EQ(norm("/a%2Fb"), "ERR:encoded '/' (%2F) in path is not allowed");
  EXPECT_EQ(norm("/a%00"), "ERR:encoded NUL (%00) in path is not allowed");
  EXPECT_EQ(norm("/a%zz"), "ERR:malformed percent-escape in path");
  EXPECT_EQ(norm("/a%2"), "ERR:malformed percent-escape in path");
  EXPECT_EQ(norm("/a\\b"), "ERR:invalid character in path");
  EXPECT_EQ(norm("/a b"), "ERR:invalid character in path");
  EXPECT_EQ(norm("/a#b"), "ERR:invalid character in path");
  EXPECT_EQ(norm("/\xc3\xa9"), "ERR:invalid character in path");
}

TEST(PathNormalizer, Query) {
  EXPECT_TRUE(query_is_valid("a=1&b=%20x/y?z"));
  EXPECT_FALSE(query_is_valid("a=%g1"));
  EXPECT_FALSE(query_is_valid("a=1%"));
  EXPECT_FALSE(query_is_valid("a b"));
}

}  // namespace
}  // namespace postern::http
