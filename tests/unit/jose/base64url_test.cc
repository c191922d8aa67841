#include "jose/base64url.h"

#include <gtest/gtest.h>

namespace postern::jose {
namespace {

std::string dec(std::string_view in) {
  std::string out;
  return base64url_decode(in, out) ? out : "ERR";
}

TEST(Base64Url, Rfc4648Vectors) {
  // RFC 4648 §10 test vectors, without padding.
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(dec("Zm9vYmE"), "fooba");
  EXPECT_EQ(dec(""), "");
}

TEST(Base64Url, UrlAlphabet) {
  EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
  EXPECT_EQ(dec("-_-_"), "\xfb\xff\xbf");
}

TEST(Base64Url, RoundTripAllByteValues) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 7) {
    EXPECT_EQ(dec(base64url_encode(all.substr(0, n))), all.substr(0, n));
  }
}

TEST(Base64Url, StrictRejects) {
  EXPECT_EQ(dec("Zg=="), "ERR");  // padding
  EXPECT_EQ(dec("Zm8="), "ERR");
  EXPECT_EQ(dec("+/+/"), "ERR");     // standard alphabet
  EXPECT_EQ(dec("Zm9v Yg"), "ERR");  // whitespace
  EXPECT_EQ(dec("Zm9v\nYg"), "ERR");
  EXPECT_EQ(dec("Z"), "ERR");  // impossible length
  EXPECT_EQ(dec("Zm9vY"), "ERR");
  EXPECT_EQ(dec("Zh"), "ERR");   // "f" is "Zg": non-zero trailing bits are not canonical
  EXPECT_EQ(dec("Zm9"), "ERR");  // "fo" is "Zm8"
  EXPECT_EQ(dec(std::string_view("Zg\0", 3)), "ERR");
}

}  // namespace
}  // namespace postern::jose
