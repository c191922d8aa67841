#include "collector/report.h"

#include <algorithm>

namespace postern::collector {

const char* bucket_name(BucketSize b) {
  switch (b) {
    case BucketSize::kMinute: return "minute";
    case BucketSize::kHour: return "hour";
    case BucketSize::kDay: return "day";
  }
  return "hour";
}

int64_t bucket_us(BucketSize b) {
  switch (b) {
    case BucketSize::kMinute: return 60LL * 1000000;
    case BucketSize::kHour: return 3600LL * 1000000;
    case BucketSize::kDay: return 86400LL * 1000000;
  }
  return 3600LL * 1000000;
}

BucketSize choose_bucket(int64_t span_us) {
  if (span_us <= 6 * 3600LL * 1000000) return BucketSize::kMinute;
  if (span_us <= 14 * 86400LL * 1000000) return BucketSize::kHour;
  return BucketSize::kDay;
}

namespace {

// Floor division, so buckets before 1970 (never in practice, but ts_us is signed) align too.
int64_t floor_to(int64_t v, int64_t step) {
  int64_t q = v / step;
  if ((v % step != 0) && (v < 0)) --q;
  return q * step;
}

template <class Row>
void sort_by_requests(std::vector<Row>& rows) {
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.stats.requests > b.stats.requests; });
}

}  // namespace

GroupStats ReportBuilder::Acc::stats() {
  GroupStats s;
  s.requests = requests;
  s.errors = errors;
  s.latency = percentiles(latencies);
  std::vector<int64_t>().swap(latencies);  // done with them: give the memory back now
  return s;
}

ReportBuilder::ReportBuilder(TimeWindow window, BucketSize bucket, int64_t origin, int64_t end)
    : origin_(floor_to(origin, bucket_us(bucket))), end_(end) {
  report_.window = window;
  report_.bucket = bucket;
}

void ReportBuilder::add(const ScannedRequest& r) {
  bool error = r.status >= 400;
  total_.add(error, r.total_us);
  report_.bytes_in += r.bytes_in;
  report_.bytes_out += r.bytes_out;
  auto& api = apis_[{r.api, r.api_version}];
  if (api.first.empty()) api.first = r.api_owner;
  api.second.add(error, r.total_us);
  resources_[{r.api, r.api_version, r.method, r.resource}].add(error, r.total_us);
  auto& app = apps_[r.app_id];
  if (app.first.empty()) app.first = r.app_name;
  app.second.add(error, r.total_us);
  statuses_[r.status].add(error, r.total_us);
  int cls = r.status >= 100 && r.status < 600 ? static_cast<int>(r.status / 100) : 0;
  ++report_.status_classes[cls];
  auto& u = users_[r.user];
  ++u.first;
  u.second += error;
  auto& b = buckets_[floor_to(r.ts_us, bucket_us(report_.bucket))];
  ++b.first;
  b.second += error;
  if (r.throttled) {
    ++report_.throttled;
    ++throttled_[r.throttle_level];
  }
  if (!r.error_source.empty()) ++rejected_[{r.error_source, r.error_reason}];
}

Report ReportBuilder::finish(std::vector<GapEvent> gaps, int64_t generated_us) {
  Report& rep = report_;
  rep.generated_us = generated_us;
  rep.totals = total_.stats();
  for (auto& [k, v] : apis_) rep.apis.push_back({k.first, k.second, v.first, v.second.stats()});
  sort_by_requests(rep.apis);
  for (auto& [k, acc] : resources_)
    rep.resources.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k), acc.stats()});
  sort_by_requests(rep.resources);
  for (auto& [id, v] : apps_) rep.applications.push_back({id, v.first, v.second.stats()});
  sort_by_requests(rep.applications);
  for (auto& [status, acc] : statuses_) rep.statuses.push_back({status, acc.stats()});
  rep.top_applications.assign(rep.applications.begin(),
                              rep.applications.begin() +
                                  static_cast<std::ptrdiff_t>(std::min(kTopN, rep.applications.size())));
  std::vector<UserRow> users;
  for (auto& [name, c] : users_) users.push_back({name, c.first, c.second});
  std::stable_sort(users.begin(), users.end(),
                   [](const UserRow& a, const UserRow& b) { return a.requests > b.requests; });
  if (users.size() > kTopN) users.resize(kTopN);
  rep.top_users = std::move(users);

  // Every bucket from the start of the range to its end, so a quiet hour shows as zero
  // rather than disappearing from the chart.
  int64_t step = bucket_us(rep.bucket);
  int64_t last = buckets_.empty() ? end_ : std::max(end_, buckets_.rbegin()->first);
  int64_t first = buckets_.empty() ? origin_ : std::min(origin_, buckets_.begin()->first);
  if (last >= first && (last - first) / step < 100000) {
    for (int64_t t = first; t <= last; t += step) {
      auto it = buckets_.find(t);
      rep.timeline.push_back(
          {t, it == buckets_.end() ? 0 : it->second.first, it == buckets_.end() ? 0 : it->second.second});
    }
  } else {
    for (auto& [t, c] : buckets_) rep.timeline.push_back({t, c.first, c.second});
  }

  for (auto& [level, n] : throttled_) rep.throttled_by_level.push_back({level, n});
  std::stable_sort(rep.throttled_by_level.begin(), rep.throttled_by_level.end(),
                   [](const ThrottledRow& a, const ThrottledRow& b) { return a.requests > b.requests; });
  for (auto& [k, n] : rejected_) rep.rejected.push_back({k.first, k.second, n});
  std::stable_sort(rep.rejected.begin(), rep.rejected.end(),
                   [](const RejectedRow& a, const RejectedRow& b) { return a.requests > b.requests; });
  rep.gaps = std::move(gaps);
  for (const GapEvent& g : rep.gaps) rep.lost_events += g.lost_events;
  return std::move(report_);
}

Report build_report(EventStore& store, const TimeWindow& window, int64_t now) {
  // The timeline covers the asked window. An open start is closed by the first event; an
  // open end by now when a start was given ("--since 24h" shows 24 hours even if the last
  // one was quiet), else by the last event (an all-time report spans the data).
  auto span = store.request_span(window);
  int64_t start, end;
  if (window.until_us) end = *window.until_us - 1;
  else if (window.since_us || !span) end = now;
  else end = span->second;
  if (window.since_us) start = *window.since_us;
  else start = span ? span->first : end;
  if (end < start) end = start;
  BucketSize bucket = choose_bucket(end - start);
  ReportBuilder builder(window, bucket, start, floor_to(end, bucket_us(bucket)));
  store.scan_requests(window, [&](const ScannedRequest& r) { builder.add(r); });
  return builder.finish(store.gaps(window), now);
}

}  // namespace postern::collector
