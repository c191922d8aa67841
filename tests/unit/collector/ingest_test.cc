#include "collector/ingest.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "event_lines.h"

namespace postern::collector {
namespace {

using namespace test;

std::string gzip(std::string_view data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST(CollectorFileId, ContractCharactersAndLength) {
  EXPECT_TRUE(valid_file_id("n1-20261126T093130Z-0123456789abcdef"));
  EXPECT_TRUE(valid_file_id("a.b_c-D9"));
  EXPECT_TRUE(valid_file_id(std::string(128, 'x')));
  EXPECT_FALSE(valid_file_id(""));
  EXPECT_FALSE(valid_file_id(std::string(129, 'x')));
  for (const char* bad : {"a/b", "..%2f", "a b", "a:b", "é", "a\nb", "a?b"}) EXPECT_FALSE(valid_file_id(bad)) << bad;
}

TEST(CollectorGunzip, RoundTripAndConcatenatedMembers) {
  std::string out;
  ASSERT_EQ(gunzip(gzip("hello\n"), 1000, out), DecodeError::kNone);
  EXPECT_EQ(out, "hello\n");
  ASSERT_EQ(gunzip(gzip("a\n") + gzip("b\n"), 1000, out), DecodeError::kNone);
  EXPECT_EQ(out, "a\nb\n");
}

TEST(CollectorGunzip, RefusesBadTruncatedTrailingAndEmpty) {
  std::string out;
  std::string z = gzip(std::string(10000, 'x'));
  EXPECT_EQ(gunzip(z.substr(0, z.size() - 5), 1 << 20, out), DecodeError::kBadGzip);  // truncated trailer
  EXPECT_EQ(gunzip(z.substr(0, z.size() / 2), 1 << 20, out), DecodeError::kBadGzip);
  EXPECT_EQ(gunzip(z + "garbage", 1 << 20, out), DecodeError::kBadGzip);
  EXPECT_EQ(gunzip("plain text, not gzip", 1 << 20, out), DecodeError::kBadGzip);
  EXPECT_EQ(gunzip("", 1 << 20, out), DecodeError::kBadGzip);
  std::string corrupt = z;
  corrupt[corrupt.size() - 6] ^= 0x55;  // CRC32 mismatch
  EXPECT_EQ(gunzip(corrupt, 1 << 20, out), DecodeError::kBadGzip);
  EXPECT_TRUE(out.empty());
}

TEST(CollectorGunzip, StopsAtTheDecompressedLimit) {
  std::string out;
  std::string bomb = gzip(std::string(10 << 20, '\0'));  // 10 MiB of zeros, ~10 KiB compressed
  EXPECT_EQ(gunzip(bomb, 1 << 20, out), DecodeError::kTooLarge);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(gunzip(gzip(std::string(1000, 'a')), 1000, out), DecodeError::kNone);  // exactly at the limit
  EXPECT_EQ(gunzip(gzip(std::string(1001, 'a')), 1000, out), DecodeError::kTooLarge);
}

TEST(CollectorParseLines, ReadsEveryRequestFieldAndGaps) {
  std::string text = line(with(with(with(request_fields(), "user", str("bob \\\"q\\\" \\u00e9")), "throttled", "true"),
                               "status", "429")) +
                     line(gap_fields());
  EventFile f;
  auto err = parse_event_lines(text, 2, f);
  ASSERT_FALSE(err) << err->message;
  EXPECT_EQ(f.lines, 2);
  ASSERT_EQ(f.requests.size(), 1u);
  ASSERT_EQ(f.gaps.size(), 1u);
  const RequestEvent& e = f.requests[0];
  EXPECT_EQ(e.time, "2026-11-26T09:31:30.123456Z");
  EXPECT_EQ(e.ts_us, 1795685490123456);
  EXPECT_EQ(e.trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(e.user, "bob \"q\" \xc3\xa9");
  EXPECT_EQ(e.status, 429);
  EXPECT_TRUE(e.throttled);
  EXPECT_EQ(e.resource, "/items/{id}");
  EXPECT_EQ(e.total_us, 1500);
  EXPECT_EQ(e.gateway_us, 500);
  EXPECT_EQ(e.endpoint, "http://127.0.0.1:8080");
  EXPECT_EQ(f.gaps[0].lost_file_id, "n1-20261126T090000Z-00aa");
  EXPECT_EQ(f.gaps[0].lost_events, 42);
  EXPECT_EQ(f.gaps[0].reason, "disk_budget");
}

// api_owner was added to schema 1 later: read when present, "" when an older gateway did not
// send it, and still type-checked when present.
TEST(CollectorParseLines, ApiOwnerWithAndWithout) {
  EventFile f;
  ASSERT_FALSE(
      parse_event_lines(line(with(request_fields(), "api_owner", str("owner \\\"q\\\""))) + line(old_request_fields()),
                        std::nullopt, f));
  ASSERT_EQ(f.requests.size(), 2u);
  EXPECT_EQ(f.requests[0].api_owner, "owner \"q\"");
  EXPECT_EQ(f.requests[1].api_owner, "");
  EXPECT_EQ(f.requests[1].endpoint, "http://127.0.0.1:8080");
  for (const char* bad : {"null", "1", "false", "[\"a\"]"}) {
    auto err = parse_event_lines(line(request_fields()) + line(with(request_fields(), "api_owner", bad)), std::nullopt,
                                 f);
    ASSERT_TRUE(err) << bad;
    EXPECT_EQ(err->line, 2) << bad;
    EXPECT_EQ(err->message, "\"api_owner\" must be a string") << bad;
  }
}

TEST(CollectorParseLines, IgnoresUnknownKeys) {
  EventFile f;
  EXPECT_FALSE(parse_event_lines(line(with(request_fields(), "added_in_v1_5", "{\"x\":[1,2]}")), std::nullopt, f));
  EXPECT_EQ(f.requests.size(), 1u);
}

TEST(CollectorParseLines, NulInAStringIsStoredAsReplacementCharacter) {
  EventFile f;
  ASSERT_FALSE(parse_event_lines(line(with(request_fields(), "user", str("a\\u0000b\\u0000"))), std::nullopt, f));
  ASSERT_EQ(f.requests.size(), 1u);
  EXPECT_EQ(f.requests[0].user,
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
}

TEST(CollectorParseLines, EmptyFileIsZeroEvents) {
  EventFile f;
  EXPECT_FALSE(parse_event_lines("", 0, f));
  EXPECT_EQ(f.lines, 0);
}

// Every malformed case of the contract, each on line 2 after a good line, and nothing kept.
TEST(CollectorParseLines, MalformedLinesNameTheLine) {
  std::string good = line(request_fields());
  struct Case {
    const char* what;
    std::string bad;
  };
  std::vector<Case> cases = {
      {"not JSON", "this is not json\n"},
      {"truncated JSON", line(request_fields()).substr(0, 40) + "\n"},
      {"JSON array", "[1,2,3]\n"},
      {"JSON string", "\"request\"\n"},
      {"JSON number", "42\n"},
      {"empty line", "\n"},
      {"no schema", line(without(request_fields(), "schema"))},
      {"no type", line(without(request_fields(), "type"))},
      {"schema 2", line(with(request_fields(), "schema", "2"))},
      {"schema 0", line(with(request_fields(), "schema", "0"))},
      {"schema string", line(with(request_fields(), "schema", "\"1\""))},
      {"schema float", line(with(request_fields(), "schema", "1.5"))},
      {"type number", line(with(request_fields(), "type", "3"))},
      {"unknown type", line(with(request_fields(), "type", "\"metric\""))},
      {"missing v1 key", line(without(request_fields(), "status"))},
      {"missing gap key", line(without(gap_fields(), "lost_events"))},
      {"status string", line(with(request_fields(), "status", "\"200\""))},
      {"ts_us float", line(with(request_fields(), "ts_us", "1.5"))},
      {"throttled string", line(with(request_fields(), "throttled", "\"false\""))},
      {"api null", line(with(request_fields(), "api", "null"))},
      {"invalid UTF-8", line(with(request_fields(), "user", "\"\xff\xfe\""))},
      {"two objects on a line", line(request_fields()).substr(0, line(request_fields()).size() - 1) + " {}\n"},
      {"no final newline", line(request_fields()).substr(0, line(request_fields()).size() - 1)},
  };
  for (const Case& c : cases) {
    EventFile f;
    auto err = parse_event_lines(good + c.bad, std::nullopt, f);
    ASSERT_TRUE(err) << c.what;
    EXPECT_EQ(err->line, 2) << c.what << ": " << err->message;
    EXPECT_FALSE(err->message.empty());
    EXPECT_TRUE(f.requests.empty() && f.gaps.empty() && f.lines == 0) << c.what;
  }
}

TEST(CollectorParseLines, EventCountHeaderMustMatch) {
  std::string text = line(request_fields()) + line(request_fields());
  EventFile f;
  EXPECT_FALSE(parse_event_lines(text, 2, f));
  auto err = parse_event_lines(text, 3, f);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->line, 0);
  EXPECT_NE(err->message.find("X-Postern-Events"), std::string::npos);
  EXPECT_TRUE(f.requests.empty());
}

TEST(CollectorParseLines, ErrorMessageNamesTheKey) {
  EventFile f;
  auto err = parse_event_lines(line(with(request_fields(), "bytes_out", "\"12\"")), std::nullopt, f);
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("bytes_out"), std::string::npos) << err->message;
  err = parse_event_lines(line(without(request_fields(), "endpoint")), std::nullopt, f);
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("endpoint"), std::string::npos) << err->message;
}

}  // namespace
}  // namespace postern::collector
