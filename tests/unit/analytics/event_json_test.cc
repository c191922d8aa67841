#include "analytics/event_json.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "analytics/outbox.h"

namespace postern::analytics {
namespace {

TEST(EventJson, EveryFieldOfSchema1InOrderAndValidJson) {
  Event e;
  e.unix_micros = 1'795'686'590'724'310;
  e.request_id = "rid";
  e.trace_id = "0af7651916cd43dd8448eb211c80319c";
  e.node = "gw-1";
  e.api = "Pets \"quoted\"";
  e.api_version = "1.0.0";
  e.base_path = "/pets";
  e.resource = "/items/{id}";
  e.method = "GET";
  e.app_id = "app";
  e.user = "alice";
  e.key_type = "PRODUCTION";
  e.client_ip = "127.0.0.1";
  e.user_agent = "bad \xff\xfe utf8 \xe2\x82\xac \xed\xa0\x80";  // invalid bytes, a euro sign, a surrogate
  e.status = 429;
  e.error_code = 900804;
  e.error_source = "throttle";
  e.error_reason = "line\nbreak";
  e.throttle_level = "subscription";
  e.bytes_in = 5;
  e.bytes_out = 7;
  e.total_us = 100;
  e.upstream_us = 30;
  std::string line;
  append_event_json(line, e);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line";
  EXPECT_TRUE(line.starts_with(
      R"({"schema":1,"type":"request","time":"2026-11-26T09:49:50.724310Z","ts_us":1795686590724310,)"))
      << line;

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
  std::vector<std::string> keys;
  simdjson::dom::object obj = doc.get_object();
  for (auto field : obj) keys.emplace_back(field.key);
  std::vector<std::string> expected = {"schema",     "type",         "time",         "ts_us",       "request_id",
                                       "trace_id",   "node",         "api",          "api_version", "base_path",
                                       "resource",   "method",       "app_id",       "app_name",    "consumer_key",
                                       "user",       "key_type",     "client_ip",    "user_agent",  "status",
                                       "error_code", "error_source", "error_reason", "throttled",   "throttle_level",
                                       "cache_hit",  "bytes_in",     "bytes_out",    "total_us",    "upstream_us",
                                       "gateway_us", "endpoint",     "api_owner"};
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(std::string_view(doc["api"]), "Pets \"quoted\"");
  EXPECT_EQ(std::string_view(doc["user_agent"]),
            "bad \xef\xbf\xbd\xef\xbf\xbd utf8 \xe2\x82\xac \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(bool(doc["throttled"]), true);
  EXPECT_EQ(int64_t(doc["gateway_us"]), 70);
  EXPECT_EQ(std::string_view(doc["error_reason"]), "line\nbreak");
}

// x-wso2-owner travels as api_owner, the last key (added after schema 1's first release);
// like every key it is present when empty.
TEST(EventJson, ApiOwnerIsLastAndAlwaysPresent) {
  Event e;
  e.api = "Pets";
  e.api_owner = "alice@example.com \"ops\"";
  std::string line;
  append_event_json(line, e);
  EXPECT_TRUE(line.ends_with(R"(,"endpoint":"","api_owner":"alice@example.com \"ops\""})"
                             "\n"))
      << line;
  line.clear();
  append_event_json(line, Event{});
  EXPECT_TRUE(line.ends_with(R"(,"endpoint":"","api_owner":""})"
                             "\n"))
      << line;
}

TEST(EventJson, GapRecord) {
  Gap g;
  g.unix_micros = 0;
  g.node = "n";
  g.lost_file_id = "f1";
  g.lost_events = 12;
  g.reason = "disk_budget";
  std::string line;
  append_gap_json(line, g);
  EXPECT_EQ(
      line,
      R"({"schema":1,"type":"gap","time":"1970-01-01T00:00:00.000000Z","ts_us":0,"node":"n","lost_file_id":"f1","lost_events":12,"reason":"disk_budget"})"
      "\n");
}

TEST(OutboxNames, RoundTripAndRejects) {
  OutboxFile f;
  ASSERT_TRUE(Outbox::parse_name("20261126T094950724516Z-gw.1-c46166b85ea8f9f8~5.jsonl.gz", f));
  EXPECT_EQ(f.file_id, "20261126T094950724516Z-gw.1-c46166b85ea8f9f8");
  EXPECT_EQ(f.events, 5u);
  EXPECT_TRUE(f.gzip);
  ASSERT_TRUE(Outbox::parse_name("x~0.jsonl", f));
  EXPECT_FALSE(f.gzip);
  for (const char* bad : {"x.jsonl.gz", "~5.jsonl.gz", "x~.jsonl", "x~5.json", "x~5a.jsonl", "x.tmp"}) {
    EXPECT_FALSE(Outbox::parse_name(bad, f)) << bad;
  }
}

TEST(FileIds, SortableSafeAndUnique) {
  std::string a = make_file_id("gw 1/ä", 1'795'686'590'724'310);
  std::string b = make_file_id("gw 1/ä", 1'795'686'590'724'311);
  EXPECT_TRUE(a.starts_with("20261126T094950724310Z-gw_1___-")) << a;
  EXPECT_LT(a, b);
  EXPECT_NE(make_file_id("n", 5), make_file_id("n", 5));
  for (char c : a) EXPECT_TRUE(isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.') << a;
}

}  // namespace
}  // namespace postern::analytics
