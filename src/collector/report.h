#pragma once
// A report: everything `postern analytics report` shows, aggregated from one streamed scan
// of the window's request events plus the window's gap records. The renderers
// (report_render.h) only format a Report; all numbers are decided here.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "collector/event.h"
#include "collector/event_store.h"
#include "collector/percentile.h"

namespace postern::collector {

enum class BucketSize { kMinute, kHour, kDay };
const char* bucket_name(BucketSize b);
int64_t bucket_us(BucketSize b);
// Minute buckets up to 6 hours, hour buckets up to 14 days, day buckets beyond: a chart
// stays between a few and a few hundred bars.
BucketSize choose_bucket(int64_t span_us);

// Requests, errors (status >= 400) and latency percentiles (total_us) of one group.
struct GroupStats {
  int64_t requests = 0;
  int64_t errors = 0;
  std::optional<Percentiles> latency;  // microseconds; nullopt when no requests
};

struct ApiRow {
  std::string api, api_version;
  std::string owner;  // x-wso2-owner: the first non-empty api_owner of the API's events ("" = none)
  GroupStats stats;
};
struct ResourceRow {
  std::string api, api_version, method, resource;
  GroupStats stats;
};
struct ApplicationRow {
  std::string app_id, app_name;
  GroupStats stats;
};
struct StatusRow {
  int64_t status = 0;
  GroupStats stats;
};
struct UserRow {
  std::string user;
  int64_t requests = 0, errors = 0;
};
struct TimeBucket {
  int64_t start_us = 0;
  int64_t requests = 0, errors = 0;
};
struct ThrottledRow {
  std::string level;
  int64_t requests = 0;
};
struct RejectedRow {
  std::string source, reason;
  int64_t requests = 0;
};

struct Report {
  TimeWindow window;  // as asked (open ends unset)
  int64_t generated_us = 0;
  BucketSize bucket = BucketSize::kHour;
  GroupStats totals;
  int64_t bytes_in = 0, bytes_out = 0, throttled = 0;
  std::vector<ApiRow> apis;                      // by requests, descending (ties by name)
  std::vector<ResourceRow> resources;            // by requests, descending
  std::vector<ApplicationRow> applications;      // by requests, descending
  std::vector<StatusRow> statuses;               // by status code
  int64_t status_classes[6] = {};                // [0] other, [1] 1xx … [5] 5xx
  std::vector<TimeBucket> timeline;              // every bucket of the range, empty ones included
  std::vector<ApplicationRow> top_applications;  // the first kTopN of `applications`
  std::vector<UserRow> top_users;                // kTopN users by requests ("" = no user)
  std::vector<ThrottledRow> throttled_by_level;  // by requests, descending
  std::vector<RejectedRow> rejected;             // error_source != "": by requests, descending
  std::vector<GapEvent> gaps;                    // oldest first
  int64_t lost_events = 0;                       // sum of gaps' lost_events
};

inline constexpr size_t kTopN = 10;

// Aggregates rows one at a time (the store's scan calls add()), then finish() sorts and
// computes percentiles. Memory: one int64 per request per group it belongs to (total,
// API, resource, application, status) for the percentiles, plus the groups themselves.
class ReportBuilder {
 public:
  // `bucket_origin_us`/`bucket_end_us`: the range the timeline covers (empty buckets are
  // emitted between them).
  ReportBuilder(TimeWindow window, BucketSize bucket, int64_t bucket_origin_us, int64_t bucket_end_us);
  void add(const ScannedRequest& r);
  Report finish(std::vector<GapEvent> gaps, int64_t generated_us);

 private:
  struct Acc {
    int64_t requests = 0, errors = 0;
    std::vector<int64_t> latencies;
    void add(bool error, int64_t total_us) {
      ++requests;
      errors += error;
      latencies.push_back(total_us);
    }
    GroupStats stats();
  };
  Report report_;
  int64_t origin_, end_;
  Acc total_;
  std::map<std::pair<std::string, std::string>, std::pair<std::string, Acc>> apis_;  // -> (owner, acc)
  std::map<std::tuple<std::string, std::string, std::string, std::string>, Acc> resources_;
  std::map<std::string, std::pair<std::string, Acc>> apps_;  // app_id -> (last app_name, acc)
  std::map<int64_t, Acc> statuses_;
  std::map<std::string, std::pair<int64_t, int64_t>> users_;
  std::map<int64_t, std::pair<int64_t, int64_t>> buckets_;
  std::map<std::string, int64_t> throttled_;
  std::map<std::pair<std::string, std::string>, int64_t> rejected_;
};

// Runs the whole report against a store: span (when the window has an open start),
// streamed scan, gaps.
Report build_report(EventStore& store, const TimeWindow& window, int64_t now_us);

}  // namespace postern::collector
