#include "collector/report_render.h"

#include "core/strings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "collector/time_util.h"

namespace postern::collector {

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  append_json_escaped(out, s);
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_ms(int64_t us) {
  bool neg = us < 0;
  uint64_t a = neg ? 0 - static_cast<uint64_t>(us) : static_cast<uint64_t>(us);
  return fmt::format("{}{}.{:03}", neg ? "-" : "", a / 1000, a % 1000);
}

namespace {

// ---------------------------------------------------------------------------------------
// text

std::string label_or(std::string_view s, std::string_view fallback) {
  return s.empty() ? std::string(fallback) : std::string(s);
}

std::string latency_cols(const GroupStats& s) {
  if (!s.latency) return fmt::format("{:>10} {:>10} {:>10}", "-", "-", "-");
  return fmt::format("{:>10} {:>10} {:>10}", format_ms(s.latency->p50), format_ms(s.latency->p95),
                     format_ms(s.latency->p99));
}

// Terminal output: control characters from events would let a sender move the cursor or
// rewrite the screen; they are shown escaped.
std::string clean(std::string_view s) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += ch;
  }
  return out;
}

}  // namespace

std::string render_text(const Report& r) {
  std::string o;
  auto line = [&](const std::string& s) {
    o += s;
    o += '\n';
  };
  line(fmt::format("Postern analytics report, generated {}", format_time(r.generated_us)));
  line(fmt::format("Window: {} .. {} ({} buckets)", r.window.since_us ? format_time(*r.window.since_us) : "(start)",
                   r.window.until_us ? format_time(*r.window.until_us) : "(now)", bucket_name(r.bucket)));
  line("");
  line(fmt::format("Requests {}  errors {}  throttled {}  bytes in {}  bytes out {}", r.totals.requests,
                   r.totals.errors, r.throttled, r.bytes_in, r.bytes_out));
  line(fmt::format("Latency ms (total)  p50/p95/p99: {}", latency_cols(r.totals)));
  line(fmt::format("Lost to the gateways' disk budget: {} events in {} files", r.lost_events, r.gaps.size()));
  std::string hdr = fmt::format("{:>10} {:>8} {:>10} {:>10} {:>10}", "requests", "errors", "p50 ms", "p95 ms",
                                "p99 ms");
  auto stats = [&](const GroupStats& s) {
    return fmt::format("{:>10} {:>8} {}", s.requests, s.errors, latency_cols(s));
  };

  line("");
  line("Per API");
  line(fmt::format("  {:<40} {}  {}", "api (version)", hdr, "owner"));
  for (const auto& a : r.apis)
    line(fmt::format("  {:<40} {}  {}",
                     clean(label_or(a.api, "(no API)") + (a.api_version.empty() ? "" : " (" + a.api_version + ")")),
                     stats(a.stats), clean(label_or(a.owner, "-"))));
  line("");
  line("Per resource");
  line(fmt::format("  {:<50} {}", "api method resource", hdr));
  for (const auto& x : r.resources)
    line(fmt::format("  {:<50} {}",
                     clean(label_or(x.api, "(no API)") + " " + label_or(x.method, "-") + " " +
                           label_or(x.resource, "(no route)")),
                     stats(x.stats)));
  line("");
  line("Per application");
  line(fmt::format("  {:<40} {}", "application (id)", hdr));
  for (const auto& a : r.applications)
    line(fmt::format("  {:<40} {}", clean(a.app_id.empty() ? "(anonymous)" : a.app_name + " (" + a.app_id + ")"),
                     stats(a.stats)));
  line("");
  line("Per status");
  line(fmt::format("  {:<8} {}", "status", hdr));
  for (const auto& s : r.statuses) line(fmt::format("  {:<8} {}", s.status, stats(s.stats)));
  line("");
  line(fmt::format("Over time (per {})", bucket_name(r.bucket)));
  line(fmt::format("  {:<22} {:>10} {:>8}", "start", "requests", "errors"));
  for (const auto& b : r.timeline)
    line(fmt::format("  {:<22} {:>10} {:>8}", format_time(b.start_us), b.requests, b.errors));
  line("");
  line("Top applications");
  for (const auto& a : r.top_applications)
    line(fmt::format("  {:<40} {:>10} requests {:>8} errors",
                     clean(a.app_id.empty() ? "(anonymous)" : a.app_name + " (" + a.app_id + ")"), a.stats.requests,
                     a.stats.errors));
  line("Top users");
  for (const auto& u : r.top_users)
    line(fmt::format("  {:<40} {:>10} requests {:>8} errors", clean(label_or(u.user, "(no user)")), u.requests,
                     u.errors));
  line("");
  line("Throttled by level");
  for (const auto& t : r.throttled_by_level)
    line(fmt::format("  {:<20} {:>10}", clean(label_or(t.level, "(none)")), t.requests));
  line("Rejected / failed by source and reason");
  for (const auto& x : r.rejected)
    line(fmt::format("  {:<10} {:<50} {:>10}", clean(x.source), clean(label_or(x.reason, "-")), x.requests));
  if (!r.gaps.empty()) {
    line("");
    line("Gaps (files deleted unsent by a gateway)");
    for (const auto& g : r.gaps)
      line(fmt::format("  {} node {} file {} events {} ({})", clean(g.time), clean(g.node), clean(g.lost_file_id),
                       g.lost_events, clean(g.reason)));
  }
  return o;
}

// ---------------------------------------------------------------------------------------
// JSON

namespace {

std::string jstr(std::string_view s) { return "\"" + json_escape(s) + "\""; }

std::string jstats(const GroupStats& s) {
  std::string o = fmt::format("\"requests\":{},\"errors\":{}", s.requests, s.errors);
  if (s.latency)
    o += fmt::format(",\"p50_ms\":{},\"p95_ms\":{},\"p99_ms\":{}", format_ms(s.latency->p50), format_ms(s.latency->p95),
                     format_ms(s.latency->p99));
  else o += ",\"p50_ms\":null,\"p95_ms\":null,\"p99_ms\":null";
  return o;
}

template <class Rows, class F>
std::string jarray(const Rows& rows, F item) {
  std::string o = "[";
  bool first = true;
  for (const auto& row : rows) {
    if (!first) o += ",";
    first = false;
    o += "{" + item(row) + "}";
  }
  return o + "]";
}

}  // namespace

std::string render_json(const Report& r) {
  std::string o = "{\"report_schema\":1";
  auto opt_time = [](const std::optional<int64_t>& t) { return t ? jstr(format_time(*t)) : std::string("null"); };
  o += ",\"generated\":" + jstr(format_time(r.generated_us));
  o += ",\"window\":{\"since\":" + opt_time(r.window.since_us) + ",\"until\":" + opt_time(r.window.until_us) +
       ",\"bucket\":" + jstr(bucket_name(r.bucket)) + "}";
  o += ",\"totals\":{" + jstats(r.totals) +
       fmt::format(",\"throttled\":{},\"bytes_in\":{},\"bytes_out\":{},\"lost_events\":{}", r.throttled, r.bytes_in,
                   r.bytes_out, r.lost_events) +
       "}";
  o += ",\"apis\":" + jarray(r.apis, [](const ApiRow& a) {
         return "\"api\":" + jstr(a.api) + ",\"api_version\":" + jstr(a.api_version) + ",\"owner\":" + jstr(a.owner) +
                "," + jstats(a.stats);
       });
  o += ",\"resources\":" + jarray(r.resources, [](const ResourceRow& x) {
         return "\"api\":" + jstr(x.api) + ",\"api_version\":" + jstr(x.api_version) + ",\"method\":" + jstr(x.method) +
                ",\"resource\":" + jstr(x.resource) + "," + jstats(x.stats);
       });
  auto app = [](const ApplicationRow& a) {
    return "\"app_id\":" + jstr(a.app_id) + ",\"app_name\":" + jstr(a.app_name) + "," + jstats(a.stats);
  };
  o += ",\"applications\":" + jarray(r.applications, app);
  o += ",\"statuses\":" +
       jarray(r.statuses, [](const StatusRow& s) { return fmt::format("\"status\":{},", s.status) + jstats(s.stats); });
  o += fmt::format(",\"status_classes\":{{\"1xx\":{},\"2xx\":{},\"3xx\":{},\"4xx\":{},\"5xx\":{},\"other\":{}}}",
                   r.status_classes[1], r.status_classes[2], r.status_classes[3], r.status_classes[4],
                   r.status_classes[5], r.status_classes[0]);
  o += ",\"timeline\":" + jarray(r.timeline, [](const TimeBucket& b) {
         return "\"start\":" + jstr(format_time(b.start_us)) +
                fmt::format(",\"requests\":{},\"errors\":{}", b.requests, b.errors);
       });
  o += ",\"top_applications\":" + jarray(r.top_applications, app);
  o += ",\"top_users\":" + jarray(r.top_users, [](const UserRow& u) {
         return "\"user\":" + jstr(u.user) + fmt::format(",\"requests\":{},\"errors\":{}", u.requests, u.errors);
       });
  o += ",\"throttled\":" + jarray(r.throttled_by_level, [](const ThrottledRow& t) {
         return "\"level\":" + jstr(t.level) + fmt::format(",\"requests\":{}", t.requests);
       });
  o += ",\"rejected\":" + jarray(r.rejected, [](const RejectedRow& x) {
         return "\"source\":" + jstr(x.source) + ",\"reason\":" + jstr(x.reason) +
                fmt::format(",\"requests\":{}", x.requests);
       });
  o += ",\"gaps\":" + jarray(r.gaps, [](const GapEvent& g) {
         return "\"time\":" + jstr(g.time) + ",\"node\":" + jstr(g.node) + ",\"lost_file_id\":" + jstr(g.lost_file_id) +
                fmt::format(",\"lost_events\":{},", g.lost_events) + "\"reason\":" + jstr(g.reason);
       });
  o += "}\n";
  return o;
}

}  // namespace postern::collector
