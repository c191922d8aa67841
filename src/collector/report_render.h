#pragma once
// Formats a Report as text (a terminal), JSON (machines; shape in
// docs/analytics.md) or one self-contained HTML page with inline SVG charts.
// Every string that came from an event is escaped for its output.
#include <string>
#include <string_view>

#include "collector/report.h"

namespace postern::collector {

std::string render_text(const Report& r);
std::string render_json(const Report& r);
std::string render_html(const Report& r);

// `s` inside a JSON string literal (quotes not included): ", \, and control characters
// escaped; UTF-8 passes through.
std::string json_escape(std::string_view s);
// `s` as HTML text or attribute value: & < > " ' escaped.
std::string html_escape(std::string_view s);

// Microseconds as milliseconds with three decimals ("12.345").
std::string format_ms(int64_t us);

// The number of <svg class="chart"> elements render_html draws (the Chromium test checks
// that this many are rendered).
inline constexpr int kHtmlChartCount = 4;

}  // namespace postern::collector
