// The SQLite store and report aggregation together: what is ingested is what a report
// counts, once.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "collector/collector_server.h"
#include "collector/event_store.h"
#include "collector/ingest.h"
#include "collector/report.h"
#include "collector/report_render.h"
#include "collector/schema.h"
#include "event_lines.h"

namespace postern::collector {
namespace {

using namespace test;
namespace fs = std::filesystem;

constexpr int64_t kBase = 1795685490LL * 1000000;  // 2026-11-26T09:31:30Z
constexpr int64_t kMin = 60LL * 1000000;

class CollectorStore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("postern-collector-unit-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store = open_event_store("sqlite://" + (dir_ / "events.db").string());
  }
  void TearDown() override {
    store.reset();
    fs::remove_all(dir_);
  }
  // One request line: ts offset (minutes), status, latency, app, user, extras.
  static std::string req(int minute, int status, int64_t total_us, const std::string& app = "7",
                         const std::string& user = "alice", Fields extra = {}) {
    Fields f = with(with(with(with(with(request_fields(), "ts_us", std::to_string(kBase + minute * kMin)), "status",
                                   std::to_string(status)),
                              "total_us", std::to_string(total_us)),
                         "app_id", str(app)),
                    "user", str(user));
    for (auto& [k, v] : extra) f = with(f, k, v);
    return line(f);
  }
  Answer upload(const std::string& id, const std::string& text) {
    Upload u;
    u.file_id = id;
    u.body = text;
    return handle_upload(*store, u, 1 << 20);
  }
  fs::path dir_;
  std::unique_ptr<EventStore> store;
};

TEST_F(CollectorStore, IngestThenDuplicateAnswersStoredCount) {
  std::string text = req(0, 200, 1000) + req(1, 200, 2000) + line(gap_fields());
  Answer a = upload("f-1", text);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "{\"file_id\":\"f-1\",\"events\":3,\"duplicate\":false}");
  // Same id, different content: nothing inserted, the stored count answered.
  a = upload("f-1", req(0, 200, 1000));
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "{\"file_id\":\"f-1\",\"events\":3,\"duplicate\":true}");
  Report r = build_report(*store, {}, kBase + 10 * kMin);
  EXPECT_EQ(r.totals.requests, 2);
  ASSERT_EQ(r.gaps.size(), 1u);
  EXPECT_EQ(r.lost_events, 42);
}

TEST_F(CollectorStore, MalformedOrOversizedUploadStoresNothing) {
  Answer a = upload("f-2", req(0, 200, 1000) + "{\"schema\":2,\"type\":\"request\"}\n");
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.body.find("\"line\":2"), std::string::npos) << a.body;
  a = upload("bad/id", req(0, 200, 1000));
  EXPECT_EQ(a.status, 400);
  Upload u;
  u.file_id = "f-3";
  std::string body = "not gzip";
  u.body = body;
  u.content_encoding = "gzip";
  EXPECT_EQ(handle_upload(*store, u, 1 << 20).status, 400);
  u.content_encoding = "br";
  EXPECT_EQ(handle_upload(*store, u, 1 << 20).status, 400);
  std::string events = "5";
  u.events = events;
  u.content_encoding = "";
  std::string text = req(0, 200, 1000);
  u.body = text;
  EXPECT_EQ(handle_upload(*store, u, 1 << 20).status, 400);  // X-Postern-Events mismatch
  Report r = build_report(*store, {}, kBase);
  EXPECT_EQ(r.totals.requests, 0);
  // The refused file_id is still free: a corrected upload is stored.
  EXPECT_EQ(upload("f-2", req(0, 200, 1000)).status, 200);
  EXPECT_EQ(build_report(*store, {}, kBase).totals.requests, 1);
}

TEST_F(CollectorStore, LargeFileIngestsInOneGo) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += req(i % 300, i % 10 ? 200 : 503, 1000 + i);
  Answer a = upload("big", text);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, "{\"file_id\":\"big\",\"events\":20000,\"duplicate\":false}");
  Report r = build_report(*store, {}, kBase);
  EXPECT_EQ(r.totals.requests, 20000);
  EXPECT_EQ(r.totals.errors, 2000);
}

TEST_F(CollectorStore, ReportAggregates) {
  std::string text;
  // pets GET /items/{id}: 4 requests, latencies 1..4 ms, one 404.
  text += req(0, 200, 1000) + req(0, 200, 2000) + req(1, 404, 3000) + req(2, 200, 4000);
  // orders POST /orders by app 9 / bob: throttled (subscription) and one auth rejection.
  Fields orders = {{"api", str("orders")}, {"method", str("POST")}, {"resource", str("/orders")}};
  Fields throttled = orders;
  throttled.insert(throttled.end(), {{"throttled", "true"},
                                     {"throttle_level", str("subscription")},
                                     {"error_source", str("throttle")},
                                     {"error_reason", str("subscription quota")}});
  text += req(3, 429, 500, "9", "bob", throttled) + req(3, 429, 700, "9", "bob", throttled);
  Fields auth = orders;
  auth.insert(auth.end(), {{"error_source", str("auth")}, {"error_reason", str("invalid credentials")}});
  text += req(4, 401, 100, "", "", auth);
  ASSERT_EQ(upload("agg", text).status, 200);

  Report r = build_report(*store, {}, kBase + 10 * kMin);
  EXPECT_EQ(r.totals.requests, 7);
  EXPECT_EQ(r.totals.errors, 4);  // 404, 429, 429, 401
  EXPECT_EQ(r.throttled, 2);
  ASSERT_EQ(r.apis.size(), 2u);
  EXPECT_EQ(r.apis[0].api, "pets");
  EXPECT_EQ(r.apis[0].stats.requests, 4);
  EXPECT_EQ(r.apis[0].stats.errors, 1);
  ASSERT_TRUE(r.apis[0].stats.latency);
  EXPECT_EQ(r.apis[0].stats.latency->p50, 2000);
  EXPECT_EQ(r.apis[0].stats.latency->p95, 4000);
  EXPECT_EQ(r.apis[1].api, "orders");
  EXPECT_EQ(r.apis[1].stats.latency->p50, 500);  // {100, 500, 700}: rank 2
  ASSERT_EQ(r.resources.size(), 2u);
  EXPECT_EQ(r.resources[1].method, "POST");
  EXPECT_EQ(r.resources[1].resource, "/orders");
  ASSERT_EQ(r.statuses.size(), 4u);  // 200, 401, 404, 429 in code order
  EXPECT_EQ(r.statuses[0].status, 200);
  EXPECT_EQ(r.statuses[0].stats.requests, 3);
  EXPECT_EQ(r.statuses[3].status, 429);
  EXPECT_EQ(r.status_classes[2], 3);
  EXPECT_EQ(r.status_classes[4], 4);
  ASSERT_EQ(r.applications.size(), 3u);  // "7", "9", "" (anonymous)
  EXPECT_EQ(r.top_applications[0].app_id, "7");
  EXPECT_EQ(r.top_applications[0].stats.requests, 4);
  ASSERT_GE(r.top_users.size(), 2u);
  EXPECT_EQ(r.top_users[0].user, "alice");
  EXPECT_EQ(r.top_users[1].user, "bob");
  ASSERT_EQ(r.throttled_by_level.size(), 1u);
  EXPECT_EQ(r.throttled_by_level[0].level, "subscription");
  EXPECT_EQ(r.throttled_by_level[0].requests, 2);
  ASSERT_EQ(r.rejected.size(), 2u);
  EXPECT_EQ(r.rejected[0].source, "throttle");
  EXPECT_EQ(r.rejected[0].requests, 2);
  EXPECT_EQ(r.rejected[1].reason, "invalid credentials");
  // Data spans 09:31..09:35: minute buckets, every minute present, errors per minute.
  EXPECT_EQ(r.bucket, BucketSize::kMinute);
  ASSERT_EQ(r.timeline.size(), 5u);
  EXPECT_EQ(r.timeline[0].start_us, kBase - 30 * 1000000);  // 09:31:00
  EXPECT_EQ(r.timeline[0].requests, 2);
  EXPECT_EQ(r.timeline[1].errors, 1);
  EXPECT_EQ(r.timeline[3].requests, 2);
  EXPECT_EQ(r.timeline[4].requests, 1);
}

// The per-API breakdown carries the owner; events from gateways older than api_owner are
// stored with "" and counted with the same API.
TEST_F(CollectorStore, ApiOwnerIsStoredAndReportedPerApi) {
  std::string text = req(0, 200, 1000, "7", "alice", {{"api_owner", str("carol")}});
  text += line(with(old_request_fields(), "ts_us", std::to_string(kBase + kMin)));
  text += req(2, 200, 1000, "7", "alice", {{"api", str("orders")}, {"api_owner", str("")}});
  ASSERT_EQ(upload("own", text).status, 200);
  Report r = build_report(*store, {}, kBase + 10 * kMin);
  ASSERT_EQ(r.apis.size(), 2u);
  EXPECT_EQ(r.apis[0].api, "pets");
  EXPECT_EQ(r.apis[0].stats.requests, 2);
  EXPECT_EQ(r.apis[0].owner, "carol");
  EXPECT_EQ(r.apis[1].api, "orders");
  EXPECT_EQ(r.apis[1].owner, "");
  std::string json = render_json(r);
  EXPECT_NE(json.find("\"api\":\"pets\",\"api_version\":\"1.0.0\",\"owner\":\"carol\","), std::string::npos) << json;
  EXPECT_NE(json.find("\"api\":\"orders\",\"api_version\":\"1.0.0\",\"owner\":\"\","), std::string::npos) << json;
  EXPECT_NE(render_text(r).find("carol"), std::string::npos);
  EXPECT_NE(render_html(r).find("<td>carol</td>"), std::string::npos);
}

// A database written by a collector from before api_owner: opening it adds the column
// (old rows get ""), and new files store their owners.
TEST_F(CollectorStore, OldDatabaseGetsTheApiOwnerColumn) {
  store.reset();
  fs::path db = dir_ / "old.db";
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    // The schema as the first release created it: every column but api_owner.
    std::string ddl = schema_ddl("INTEGER", "INTEGER");
    size_t at = ddl.find(", api_owner TEXT NOT NULL");
    ASSERT_NE(at, std::string::npos) << ddl;
    ddl.erase(at, std::string(", api_owner TEXT NOT NULL").size());
    ASSERT_EQ(sqlite3_exec(h, ddl.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h, "INSERT INTO files VALUES ('old', 'n1', 1, '2026-11-26T09:00:00Z')", nullptr, nullptr,
                           nullptr),
              SQLITE_OK);
    std::string cols, vals;
    for (const Column& c : kEventColumns) {
      if (std::string(c.name) == "api_owner") continue;
      cols += std::string(", ") + c.name;
      std::string name = c.name;
      if (name == "api") vals += ", 'pets'";
      else if (name == "api_version") vals += ", '1.0.0'";
      else if (name == "ts_us") vals += ", " + std::to_string(kBase);
      else vals += c.kind == ColumnKind::kText ? ", ''" : ", 0";
    }
    std::string ins = "INSERT INTO events (file_id" + cols + ") VALUES ('old'" + vals + ")";
    ASSERT_EQ(sqlite3_exec(h, ins.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
    sqlite3_close(h);
  }
  store = open_event_store("sqlite://" + db.string());
  ASSERT_EQ(upload("new", req(1, 200, 1000, "7", "alice", {{"api_owner", str("carol")}})).status, 200);
  Report r = build_report(*store, {}, kBase + 10 * kMin);
  EXPECT_EQ(r.totals.requests, 2);
  ASSERT_EQ(r.apis.size(), 1u);
  EXPECT_EQ(r.apis[0].owner, "carol");  // the old row's "" does not hide the new owner
  // Opening it again finds the column and changes nothing.
  store.reset();
  store = open_event_store("sqlite://" + db.string());
  EXPECT_EQ(build_report(*store, {}, kBase + 10 * kMin).totals.requests, 2);
}

TEST_F(CollectorStore, WindowIsHalfOpen) {
  ASSERT_EQ(upload("w", req(0, 200, 1) + req(10, 200, 1) + req(20, 200, 1)).status, 200);
  TimeWindow w{kBase + 10 * kMin, kBase + 20 * kMin};
  Report r = build_report(*store, w, kBase + 30 * kMin);
  EXPECT_EQ(r.totals.requests, 1);
  w = {kBase, std::nullopt};
  EXPECT_EQ(build_report(*store, w, kBase + 30 * kMin).totals.requests, 3);
  w = {std::nullopt, kBase + 1};
  EXPECT_EQ(build_report(*store, w, kBase + 30 * kMin).totals.requests, 1);
}

TEST(CollectorBuckets, ChosenFromTheRange) {
  EXPECT_EQ(choose_bucket(30 * kMin), BucketSize::kMinute);
  EXPECT_EQ(choose_bucket(6 * 60 * kMin), BucketSize::kMinute);
  EXPECT_EQ(choose_bucket(24 * 60 * kMin), BucketSize::kHour);
  EXPECT_EQ(choose_bucket(7 * 24 * 60 * kMin), BucketSize::kHour);
  EXPECT_EQ(choose_bucket(30 * 24 * 60 * kMin), BucketSize::kDay);
}

TEST(CollectorBuilder, HourBucketsCoverTheWindowIncludingQuietOnes) {
  TimeWindow w{kBase, kBase + 24 * 60 * kMin};
  ReportBuilder b(w, BucketSize::kHour, kBase, kBase + 24 * 60 * kMin - 1);
  ScannedRequest r;
  r.ts_us = kBase + 5 * 60 * kMin;
  r.status = 500;
  b.add(r);
  Report rep = b.finish({}, kBase);
  ASSERT_EQ(rep.timeline.size(), 25u);  // 09:00 .. 09:00 next day (the window starts mid-hour)
  int64_t sum = 0, errors = 0;
  for (auto& t : rep.timeline) sum += t.requests, errors += t.errors;
  EXPECT_EQ(sum, 1);
  EXPECT_EQ(errors, 1);
  EXPECT_EQ(rep.timeline[5].requests, 1);  // 14:00
}

}  // namespace
}  // namespace postern::collector
