#include "collector/time_util.h"

#include <gtest/gtest.h>

namespace postern::collector {
namespace {

constexpr int64_t kS = 1000000;

TEST(CollectorParseTime, IsoForms) {
  // 2026-11-26T09:31:30Z = 1795685490 (date -u -d 2026-11-26T09:31:30Z +%s)
  EXPECT_EQ(parse_time("2026-11-26T09:31:30Z", 0), 1795685490 * kS);
  EXPECT_EQ(parse_time("2026-11-26T09:31:30", 0), 1795685490 * kS);
  EXPECT_EQ(parse_time("2026-11-26T09:31:30+00:00", 0), 1795685490 * kS);
  EXPECT_EQ(parse_time("2026-11-26T09:31:30.123456Z", 0), 1795685490 * kS + 123456);
  EXPECT_EQ(parse_time("2026-11-26T09:31:30.5Z", 0), 1795685490 * kS + 500000);
  EXPECT_EQ(parse_time("2026-11-26T09:31:30.123456789Z", 0), 1795685490 * kS + 123456);  // ns truncated
  EXPECT_EQ(parse_time("2026-11-26T09:31Z", 0), (1795685490 - 30) * kS);
  EXPECT_EQ(parse_time("2026-11-26", 0), (1795685490 - 9 * 3600 - 31 * 60 - 30) * kS);
  EXPECT_EQ(parse_time("1970-01-01T00:00:00Z", 0), 0);
  EXPECT_EQ(parse_time("2024-02-29T00:00:00Z", 0), 1709164800 * kS);
  EXPECT_EQ(parse_time("2000-03-01", 0), 951868800 * kS);
}

TEST(CollectorParseTime, Relative) {
  int64_t now = 1795685490 * kS;
  EXPECT_EQ(parse_time("30m", now), now - 1800 * kS);
  EXPECT_EQ(parse_time("24h", now), now - 86400 * kS);
  EXPECT_EQ(parse_time("7d", now), now - 7 * 86400 * kS);
  EXPECT_EQ(parse_time("2w", now), now - 14 * 86400 * kS);
  EXPECT_EQ(parse_time("45s", now), now - 45 * kS);
  EXPECT_EQ(parse_time("0h", now), now);
}

TEST(CollectorParseTime, Refuses) {
  for (const char* bad :
       {"", "h", "24", "24x", "-1h", "1.5h", "yesterday", "2026-13-01", "2026-02-30", "2025-02-29",
        "2026-11-26T24:00:00Z", "2026-11-26T09:60Z", "2026-11-26T09:31:30+01:00", "2026-11-26T09:31:30.Z", "2026/11/26",
        "26-11-2026", "2026-11-26T9:31Z", "2026-11-26T09:31:30Zjunk"})
    EXPECT_FALSE(parse_time(bad, 1000 * kS)) << bad;
}

TEST(CollectorFormatTime, RoundTrips) {
  EXPECT_EQ(format_time(1795685490 * kS + 123456), "2026-11-26T09:31:30Z");
  EXPECT_EQ(format_time(1795685490 * kS + 123456, true), "2026-11-26T09:31:30.123456Z");
  EXPECT_EQ(format_time(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_time(1709164800 * kS), "2024-02-29T00:00:00Z");
  for (int64_t t = 0; t < 4102444800LL * kS; t += 86399 * kS * 37 + 12345)
    EXPECT_EQ(parse_time(format_time(t, true), 0), t) << t;
}

}  // namespace
}  // namespace postern::collector
