// render_html: one self-contained page. No external CSS, JS, fonts or images, and a
// Content-Security-Policy that forbids loading anything, so the report can be mailed,
// archived and opened on an offline machine, and a string from an event can never make
// the browser fetch something. Charts are inline SVG drawn here.
#include <fmt/format.h>

#include <algorithm>

#include "collector/report_render.h"
#include "collector/time_util.h"

namespace postern::collector {
namespace {

using fmt::format;

constexpr int kW = 760, kH = 260;  // chart size (CSS pixels)
constexpr int kLeft = 60, kRight = 20, kTop = 20, kBottom = 50;

struct Bar {
  std::string label;            // already plain text (escaped when drawn)
  std::vector<int64_t> values;  // one per series
};

struct Series {
  const char* name;
  const char* color;
};

// A "nice" axis maximum: 1, 2 or 5 times a power of ten, at least `v`.
double nice_max(double v) {
  if (v <= 0) return 1;
  double p = 1;
  while (p * 10 <= v) p *= 10;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= v) return m * p;
  return 10 * p;
}

std::string fmt_num(double v, bool ms) { return ms ? format("{:.1f}", v / 1000.0) : format("{:.0f}", v); }

// Grouped vertical bars: one group per Bar, one rect per series. Zero values draw no rect,
// so every rect drawn must have a visible box (the page's self-check relies on it).
std::string vertical_chart(const std::string& id, const std::string& title, const std::vector<Bar>& bars,
                           const std::vector<Series>& series, bool ms_values, size_t label_every = 1) {
  std::string o = format("<figure><figcaption>{}</figcaption>\n", html_escape(title));
  o += format("<svg class=\"chart\" id=\"{}\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\">\n", id, kW,
              kH, kW, kH);
  int plot_w = kW - kLeft - kRight, plot_h = kH - kTop - kBottom;
  double max = 0;
  for (const Bar& b : bars)
    for (int64_t v : b.values) max = std::max(max, static_cast<double>(v));
  double top = nice_max(max);
  // Axes and gridlines at 0, 1/2 and the top.
  for (int i = 0; i <= 2; ++i) {
    double y = kTop + plot_h - plot_h * i / 2.0;
    o += format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" class=\"grid\"/>", kLeft, y, kLeft + plot_w, y);
    o += format("<text x=\"{}\" y=\"{:.1f}\" class=\"tick\" text-anchor=\"end\">{}</text>\n", kLeft - 6, y + 4,
                fmt_num(top * i / 2.0, ms_values));
  }
  if (bars.empty() || max <= 0) {
    o += format("<text class=\"nodata\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data in this window</text>\n",
                kLeft + plot_w / 2, kTop + plot_h / 2);
  } else {
    double group_w = static_cast<double>(plot_w) / static_cast<double>(bars.size());
    double bar_w = std::max(1.0, (group_w * 0.8) / static_cast<double>(series.size()));
    for (size_t i = 0; i < bars.size(); ++i) {
      double gx = kLeft + group_w * static_cast<double>(i) + group_w * 0.1;
      for (size_t s = 0; s < series.size() && s < bars[i].values.size(); ++s) {
        int64_t v = bars[i].values[s];
        if (v <= 0) continue;
        double h = std::max(1.0, plot_h * static_cast<double>(v) / top);
        o += format(
            "<rect class=\"bar\" x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"{}\">"
            "<title>{}: {} {}</title></rect>",
            gx + bar_w * static_cast<double>(s), kTop + plot_h - h, bar_w, h, series[s].color,
            html_escape(bars[i].label), series[s].name, fmt_num(static_cast<double>(v), ms_values));
      }
      if (i % label_every == 0) {
        std::string label = bars[i].label.size() > 24 ? bars[i].label.substr(0, 23) + "…" : bars[i].label;
        o += format("<text class=\"label\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", gx + group_w * 0.4,
                    kTop + plot_h + 16, html_escape(label));
      }
      o += "\n";
    }
  }
  // Legend
  int lx = kLeft;
  for (const Series& s : series) {
    o += format(
        "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text class=\"tick\" x=\"{}\" "
        "y=\"{}\">{}</text>",
        lx, kH - 14, s.color, lx + 14, kH - 5, s.name);
    lx += 120;
  }
  o += "</svg></figure>\n";
  return o;
}

// Horizontal bars, one per row (for long labels such as rejection reasons).
std::string horizontal_chart(const std::string& id, const std::string& title, const std::vector<Bar>& rows,
                             const char* color) {
  constexpr int kRowH = 22, kLabelW = 330;
  int h = kTop + std::max<int>(1, static_cast<int>(rows.size())) * kRowH + 10;
  std::string o = format("<figure><figcaption>{}</figcaption>\n", html_escape(title));
  o += format("<svg class=\"chart\" id=\"{}\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\">\n", id, kW,
              h, kW, h);
  double max = 0;
  for (const Bar& b : rows) max = std::max(max, static_cast<double>(b.values.at(0)));
  int plot_w = kW - kLabelW - 80;
  if (rows.empty() || max <= 0) {
    o += format("<text class=\"nodata\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data in this window</text>\n",
                kW / 2, kTop + 10);
  }
  for (size_t i = 0; i < rows.size() && max > 0; ++i) {
    int64_t v = rows[i].values.at(0);
    double y = kTop + static_cast<double>(i) * kRowH;
    std::string label = rows[i].label.size() > 48 ? rows[i].label.substr(0, 47) + "…" : rows[i].label;
    o += format("<text class=\"label\" x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", kLabelW - 8, y + 14,
                html_escape(label));
    if (v > 0) {
      double w = std::max(1.0, plot_w * static_cast<double>(v) / max);
      o += format(
          "<rect class=\"bar\" x=\"{}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{}\" fill=\"{}\"><title>{}: "
          "{}</title></rect>",
          kLabelW, y + 3, w, kRowH - 6, color, html_escape(rows[i].label), v);
      o += format("<text class=\"tick\" x=\"{:.1f}\" y=\"{:.1f}\">{}</text>", kLabelW + w + 6, y + 14, v);
    }
    o += "\n";
  }
  o += "</svg></figure>\n";
  return o;
}

std::string cell(std::string_view s) { return "<td>" + html_escape(s) + "</td>"; }
std::string num(int64_t v) { return format("<td class=\"n\">{}</td>", v); }

std::string stat_cells(const GroupStats& s) {
  std::string o = num(s.requests) + num(s.errors);
  for (auto p : {&Percentiles::p50, &Percentiles::p95, &Percentiles::p99})
    o += s.latency ? format("<td class=\"n\">{}</td>", format_ms((*s.latency).*p)) : "<td class=\"n\">-</td>";
  return o;
}

const char* kStatHead = "<th>requests</th><th>errors</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th>";

std::string or_dash(const std::string& s, const char* dash) { return s.empty() ? dash : s; }

// Counts, after layout, the charts whose every mark (bar, or the "no data" note) has a
// non-empty box, and records it on <body>: a headless browser's --dump-dom shows whether
// the charts were really drawn, not just present in the markup.
constexpr const char* kSelfCheck = R"(<script>
(function () {
  var charts = document.querySelectorAll('svg.chart'), drawn = 0, marks = 0, visible = 0;
  for (var i = 0; i < charts.length; i++) {
    var box = charts[i].getBoundingClientRect(), bb = charts[i].getBBox();
    var m = charts[i].querySelectorAll('.bar, .nodata'), ok = m.length > 0;
    for (var j = 0; j < m.length; j++) {
      var r = m[j].getBoundingClientRect();
      marks++;
      if (r.width > 0 && r.height > 0) visible++; else ok = false;
    }
    if (ok && box.width > 0 && box.height > 0 && bb.width > 0 && bb.height > 0) drawn++;
  }
  document.body.setAttribute('data-charts', charts.length);
  document.body.setAttribute('data-charts-drawn', drawn);
  document.body.setAttribute('data-marks', marks);
  document.body.setAttribute('data-marks-visible', visible);
})();
</script>
)";

}  // namespace

std::string render_html(const Report& r) {
  std::string o;
  o += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  o += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
       "script-src 'unsafe-inline'; img-src data:\">\n";
  o += "<title>Postern analytics report</title>\n<style>\n"
       "body{font:14px system-ui,sans-serif;margin:24px;color:#222}\n"
       "table{border-collapse:collapse;margin:8px 0 24px}td,th{border-bottom:1px solid #ddd;padding:3px "
       "10px;text-align:left}\n"
       "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
       "figure{margin:12px 0 28px}figcaption{font-weight:600;margin-bottom:4px}\n"
       "svg.chart{background:#fafafa;border:1px solid #e4e4e4;display:block}\n"
       ".grid{stroke:#ddd}.tick{font-size:11px;fill:#555}.label{font-size:11px;fill:#333}.nodata{font-size:13px;fill:#"
       "888}\n"
       ".totals span{display:inline-block;margin-right:24px}\n"
       "</style></head><body>\n";
  o += "<h1>Postern analytics report</h1>\n";
  o += format("<p>Window: {} to {}, {} buckets. Generated {}.</p>\n",
              r.window.since_us ? format_time(*r.window.since_us) : "the first event",
              r.window.until_us ? format_time(*r.window.until_us) : "now", bucket_name(r.bucket),
              format_time(r.generated_us));
  o += "<p class=\"totals\">";
  o += format("<span>Requests <b>{}</b></span><span>Errors <b>{}</b></span><span>Throttled <b>{}</b></span>",
              r.totals.requests, r.totals.errors, r.throttled);
  if (r.totals.latency)
    o += format("<span>Latency p50 / p95 / p99 <b>{} / {} / {} ms</b></span>", format_ms(r.totals.latency->p50),
                format_ms(r.totals.latency->p95), format_ms(r.totals.latency->p99));
  o += format("<span>Lost (disk budget) <b>{}</b> events in <b>{}</b> files</span></p>\n", r.lost_events,
              r.gaps.size());

  // 1. Requests and errors over time.
  std::vector<Bar> time_bars;
  for (const TimeBucket& b : r.timeline) {
    std::string t = format_time(b.start_us);
    time_bars.push_back({r.bucket == BucketSize::kDay ? t.substr(0, 10) : t.substr(11, 5), {b.requests, b.errors}});
  }
  size_t every = std::max<size_t>(1, time_bars.size() / 12);
  o += vertical_chart("chart-timeline", format("Requests and errors per {}", bucket_name(r.bucket)), time_bars,
                      {{"requests", "#4e79a7"}, {"errors", "#e15759"}}, false, every);
  // 2. Latency percentiles per API (the busiest 12).
  std::vector<Bar> lat_bars;
  for (const ApiRow& a : r.apis) {
    if (lat_bars.size() == 12) break;
    if (!a.stats.latency) continue;
    lat_bars.push_back({or_dash(a.api, "(no API)") + (a.api_version.empty() ? "" : " " + a.api_version),
                        {a.stats.latency->p50, a.stats.latency->p95, a.stats.latency->p99}});
  }
  o += vertical_chart("chart-latency", "Total latency per API (ms)", lat_bars,
                      {{"p50", "#59a14f"}, {"p95", "#f28e2b"}, {"p99", "#e15759"}}, true);
  // 3. Status classes.
  std::vector<Bar> class_bars;
  const char* names[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
  for (int i = 1; i <= 5; ++i) class_bars.push_back({names[i], {r.status_classes[i]}});
  if (r.status_classes[0]) class_bars.push_back({names[0], {r.status_classes[0]}});
  o += vertical_chart("chart-status", "Responses by status class", class_bars, {{"responses", "#76b7b2"}}, false);
  // 4. Throttled by level and rejected by source/reason.
  std::vector<Bar> reason_rows;
  for (const ThrottledRow& t : r.throttled_by_level)
    reason_rows.push_back({"throttled: " + or_dash(t.level, "(no level)"), {t.requests}});
  for (const RejectedRow& x : r.rejected) {
    if (reason_rows.size() >= 30) break;
    reason_rows.push_back({x.source + ": " + or_dash(x.reason, "-"), {x.requests}});
  }
  o += horizontal_chart("chart-reasons", "Throttled calls by level, rejected and failed calls by source and reason",
                        reason_rows, "#b07aa1");

  // Tables.
  o += format("<h2>Per API</h2><table><tr><th>API</th><th>version</th><th>owner</th>{}</tr>\n", kStatHead);
  for (const ApiRow& a : r.apis)
    o += "<tr>" + cell(or_dash(a.api, "(no API)")) + cell(a.api_version) + cell(a.owner) + stat_cells(a.stats) +
         "</tr>\n";
  o += "</table>\n";
  o += format("<h2>Per resource</h2><table><tr><th>API</th><th>version</th><th>method</th><th>resource</th>{}</tr>\n",
              kStatHead);
  for (const ResourceRow& x : r.resources)
    o += "<tr>" + cell(or_dash(x.api, "(no API)")) + cell(x.api_version) + cell(x.method) +
         cell(or_dash(x.resource, "(no route)")) + stat_cells(x.stats) + "</tr>\n";
  o += "</table>\n";
  o += format("<h2>Per application</h2><table><tr><th>application</th><th>id</th>{}</tr>\n", kStatHead);
  for (const ApplicationRow& a : r.applications)
    o += "<tr>" + cell(a.app_id.empty() ? "(anonymous)" : a.app_name) + cell(a.app_id) + stat_cells(a.stats) +
         "</tr>\n";
  o += "</table>\n";
  o += format("<h2>Per status</h2><table><tr><th>status</th>{}</tr>\n", kStatHead);
  for (const StatusRow& s : r.statuses) o += "<tr>" + num(s.status) + stat_cells(s.stats) + "</tr>\n";
  o += "</table>\n";
  o += "<h2>Top users</h2><table><tr><th>user</th><th>requests</th><th>errors</th></tr>\n";
  for (const UserRow& u : r.top_users)
    o += "<tr>" + cell(or_dash(u.user, "(no user)")) + num(u.requests) + num(u.errors) + "</tr>\n";
  o += "</table>\n";
  o += "<h2>Throttled by level</h2><table><tr><th>level</th><th>requests</th></tr>\n";
  for (const ThrottledRow& t : r.throttled_by_level)
    o += "<tr>" + cell(or_dash(t.level, "(no level)")) + num(t.requests) + "</tr>\n";
  o += "</table>\n";
  o += "<h2>Rejected and failed by source and "
       "reason</h2><table><tr><th>source</th><th>reason</th><th>requests</th></tr>\n";
  for (const RejectedRow& x : r.rejected) o += "<tr>" + cell(x.source) + cell(x.reason) + num(x.requests) + "</tr>\n";
  o += "</table>\n";
  o += "<h2>Gaps</h2><p>Files a gateway deleted unsent because of its disk budget: their events are missing from "
       "every number above.</p><table><tr><th>time</th><th>node</th><th>lost "
       "file</th><th>events</th><th>reason</th></tr>\n";
  for (const GapEvent& g : r.gaps)
    o += "<tr>" + cell(g.time) + cell(g.node) + cell(g.lost_file_id) + num(g.lost_events) + cell(g.reason) + "</tr>\n";
  o += "</table>\n";
  o += kSelfCheck;
  o += "</body></html>\n";
  return o;
}

}  // namespace postern::collector
