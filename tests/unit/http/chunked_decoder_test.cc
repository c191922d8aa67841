#include "http/chunked_decoder.h"

#include <gtest/gtest.h>

#include <cstring>

namespace postern::http {
namespace {

// Feeds `wire` one byte at a time, the hardest split for a streaming decoder.
ChunkedDecoder::Result feed_bytewise(const std::string& wire, std::string& payload, size_t& end) {
  ChunkedDecoder d;
  ChunkedDecoder::Result r = ChunkedDecoder::Result::kNeedMore;
  for (size_t i = 0; i < wire.size(); ++i) {
    size_t consumed = 0;
    r = d.feed(wire.data() + i, 1, payload, consumed);
    if (r != ChunkedDecoder::Result::kNeedMore) {
      end = i + consumed;
      return r;
    }
  }
  return r;
}

TEST(ChunkedDecoder, DecodesInAnySplit) {
  std::string wire = "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\nNEXT";
  std::string payload;
  size_t end = 0;
  ASSERT_EQ(feed_bytewise(wire, payload, end), ChunkedDecoder::Result::kDone);
  EXPECT_EQ(payload, "hello0123456789");
  EXPECT_EQ(wire.substr(end), "NEXT");

  ChunkedDecoder d;
  std::string whole;
  size_t consumed = 0;
  ASSERT_EQ(d.feed(wire.data(), wire.size(), whole, consumed), ChunkedDecoder::Result::kDone);
  EXPECT_EQ(whole, payload);
  EXPECT_EQ(consumed, end);
}

TEST(ChunkedDecoder, RejectsMalformed) {
  for (const char* bad : {"x\r\n", "5\nhello\r\n", "5\r\nhelloX\r\n", "-1\r\n", "\r\n", "ffffffffffffffffff\r\n",
                          "5\r\nhello\r\n0\r\n\n"}) {
    ChunkedDecoder d;
    std::string p;
    size_t c = 0;
    EXPECT_EQ(d.feed(bad, std::strlen(bad), p, c), ChunkedDecoder::Result::kError) << bad;
  }
}

}  // namespace
}  // namespace postern::http
