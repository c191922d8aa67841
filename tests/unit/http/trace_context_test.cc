#include "http/trace_context.h"

#include <gtest/gtest.h>

namespace postern::http {
namespace {

TEST(TraceContext, ParsesTheSpecExample) {
  TraceParent t;
  ASSERT_TRUE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", t));
  EXPECT_EQ(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(t.parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(t.flags, 1);
}

TEST(TraceContext, RejectsWhatTheSpecRejects) {
  TraceParent t;
  for (const char* bad : {
           "",                                                          // empty
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",    // short
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",  // version 00 longer than 55
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",   // upper case
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",   // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",   // zero parent id
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // version ff
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // separator
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",   // not hex
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
       }) {
    EXPECT_FALSE(parse_traceparent(bad, t)) << bad;
  }
}

TEST(TraceContext, LaterVersionsMayCarryMore) {
  TraceParent t;
  EXPECT_TRUE(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-extra", t));
  EXPECT_EQ(t.flags, 3);
  EXPECT_FALSE(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03extra", t));
}

TEST(TraceContext, FormatsVersion00) {
  std::string out;
  format_traceparent(out, "4bf92f3577b34da6a3ce929d0e0e4736", 0x00f067aa0ba902b7ull, 1);
  EXPECT_EQ(out, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  out.clear();
  format_traceparent(out, "4bf92f3577b34da6a3ce929d0e0e4736", 0, 0);  // zero span id is invalid
  TraceParent t;
  EXPECT_TRUE(parse_traceparent(out, t)) << out;
}

}  // namespace
}  // namespace postern::http
