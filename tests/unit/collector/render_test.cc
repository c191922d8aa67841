#include "collector/report_render.h"

#include <gtest/gtest.h>

#include "collector/credentials.h"
#include "core/base64.h"

namespace postern::collector {
namespace {

TEST(CollectorHtmlEscape, AllSpecialCharacters) {
  EXPECT_EQ(html_escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
  EXPECT_EQ(html_escape("plain é"), "plain é");
}

TEST(CollectorJsonEscape, QuotesBackslashesAndControls) {
  EXPECT_EQ(json_escape("a\"b\\c\nd\x01\x7f"), "a\\\"b\\\\c\\nd\\u0001\\u007f");
  EXPECT_EQ(json_escape("é"), "é");
}

TEST(CollectorFormatMs, ThreeDecimals) {
  EXPECT_EQ(format_ms(0), "0.000");
  EXPECT_EQ(format_ms(1500), "1.500");
  EXPECT_EQ(format_ms(12345678), "12345.678");
  EXPECT_EQ(format_ms(7), "0.007");
}

Report hostile_report() {
  Report r;
  r.generated_us = 1795685490LL * 1000000;
  r.totals = {1, 1, Percentiles{1000, 1000, 1000}};
  r.apis.push_back(
      {"<img src=x onerror=alert(1)>", "1\"2", "<u onclick=x>\x1b[1m\"", {1, 1, Percentiles{1000, 1000, 1000}}});
  r.resources.push_back({"<b class=evil>", "", "GET", "/a/<script>", {1, 1, Percentiles{1000, 1000, 1000}}});
  r.applications.push_back({"'id'", "</table><script>x()</script>", {1, 1, Percentiles{1000, 1000, 1000}}});
  r.top_applications = r.applications;
  r.top_users.push_back({"\"><svg onload=alert(1)>", 1, 1});
  r.statuses.push_back({500, {1, 1, Percentiles{1000, 1000, 1000}}});
  r.status_classes[5] = 1;
  r.timeline.push_back({r.generated_us, 1, 1});
  r.throttled_by_level.push_back({"<i class=evil>", 1});
  r.rejected.push_back({"auth", "bad </svg><script>alert(2)</script>\n\x1b[2J", 1});
  GapEvent g;
  g.time = "<t>";
  g.node = "<n>";
  g.lost_file_id = "f";
  g.lost_events = 3;
  g.reason = "<r>";
  r.gaps.push_back(g);
  return r;
}

TEST(CollectorRenderHtml, EscapesEveryEventString) {
  std::string html = render_html(hostile_report());
  for (const char* raw : {"<img src=x", "<script>alert", "<script>x()", "<svg onload", "<b class=evil>",
                          "<i class=evil>", "<t>", "<n>", "<r>", "</table><script>", "<u onclick"})
    EXPECT_EQ(html.find(raw), std::string::npos) << raw;
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  // The only script is the page's own self-check.
  size_t first = html.find("<script>");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(html.find("<script>", first + 1), std::string::npos);
}

TEST(CollectorRenderHtml, SelfContained) {
  std::string html = render_html(hostile_report());
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  for (const char* ref : {"src=\"", "href=", "<img", "<link", "<iframe", "<object", "<embed", "@import"})
    EXPECT_EQ(html.find(ref), std::string::npos) << ref;
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
  size_t charts = 0;
  for (size_t p = 0; (p = html.find("<svg class=\"chart\"", p)) != std::string::npos; ++p) ++charts;
  EXPECT_EQ(charts, static_cast<size_t>(kHtmlChartCount));
}

TEST(CollectorRenderJson, EscapesAndStaysParseable) {
  std::string json = render_json(hostile_report());
  EXPECT_NE(json.find("\"reason\":\"bad </svg><script>alert(2)</script>\\n\\u001b[2J\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"api_version\":\"1\\\"2\""), std::string::npos);
  EXPECT_NE(json.find("\"owner\":\"<u onclick=x>\\u001b[1m\\\"\""), std::string::npos) << json;
}

TEST(CollectorRenderText, ControlCharactersShownEscaped) {
  std::string text = render_text(hostile_report());
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_NE(text.find("\\x1b[2J"), std::string::npos);
}

TEST(CollectorCredentials, BearerAndBasic) {
  Credentials c;
  c.set_token("s3cret-token");
  c.set_basic("gw", "pa:ss");
  EXPECT_TRUE(c.accepts("Bearer s3cret-token"));
  EXPECT_TRUE(c.accepts("bearer s3cret-token"));
  EXPECT_FALSE(c.accepts("Bearer s3cret-toke"));
  EXPECT_FALSE(c.accepts("Bearer s3cret-token2"));
  EXPECT_FALSE(c.accepts("Bearer "));
  EXPECT_FALSE(c.accepts("s3cret-token"));
  EXPECT_TRUE(c.accepts("Basic Z3c6cGE6c3M="));   // gw:pa:ss (a password may contain ':')
  EXPECT_FALSE(c.accepts("Basic Z3c6cGE6c3g="));  // gw:pa:sx
  EXPECT_FALSE(c.accepts("Basic Z3c="));          // gw (no colon)
  EXPECT_FALSE(c.accepts("Basic !!!!"));
  Credentials token_only;
  token_only.set_token("t");
  EXPECT_FALSE(token_only.accepts("Basic Z3c6cGE6c3M="));
  EXPECT_EQ(token_only.challenge(), "Bearer realm=\"postern-collector\"");
}

TEST(CollectorBase64, Rfc4648Vectors) {
  std::string out;
  const std::pair<const char*, const char*> v[] = {{"", ""},
                                                   {"Zg==", "f"},
                                                   {"Zm8=", "fo"},
                                                   {"Zm9v", "foo"},
                                                   {"Zm9vYg==", "foob"},
                                                   {"Zm9vYmE=", "fooba"},
                                                   {"Zm9vYmFy", "foobar"}};
  for (auto [in, want] : v) {
    ASSERT_TRUE(base64_decode(in, out)) << in;
    EXPECT_EQ(out, want);
  }
  EXPECT_FALSE(base64_decode("Zg=", out));
  EXPECT_FALSE(base64_decode("Z=g=", out));
  EXPECT_FALSE(base64_decode("Zm9v\n", out));
}

}  // namespace
}  // namespace postern::collector
