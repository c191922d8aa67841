#include "http/head_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace postern::http {
namespace {

struct Parsed {
  HeadError error;
  RequestHead head;
};

// Scans and parses a request head the way the gateway does.
HeadError parse(const std::string& raw, RequestHead& head, size_t max_head = 8192) {
  HeadScan scan = find_head_end(raw.data(), raw.size(), max_head, 431);
  if (scan.kind == HeadScan::Kind::kError) return scan.error;
  if (scan.kind == HeadScan::Kind::kNeedMore) return {-1, "need more"};
  return parse_request_head(raw.data() + scan.skip, scan.head_end - scan.skip, 4096, head);
}

int status_of(const std::string& raw) {
  RequestHead h;
  return parse(raw, h).status;
}

TEST(HeadParser, ParsesSimpleGet) {
  RequestHead h;
  std::string raw = "GET /a/b?x=1 HTTP/1.1\r\nHost: example\r\nX-A:  v  \r\n\r\n";
  ASSERT_FALSE(parse(raw, h));
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.path, "/a/b");
  EXPECT_EQ(h.query, "x=1");
  EXPECT_EQ(h.host, "example");
  ASSERT_EQ(h.headers.size(), 2u);
  EXPECT_EQ(h.headers[1].value, "v");
  EXPECT_EQ(h.framing, BodyFraming::kNone);
  EXPECT_TRUE(h.keep_alive);
}

TEST(HeadParser, Framing) {
  RequestHead h;
  ASSERT_FALSE(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n", h));
  EXPECT_EQ(h.framing, BodyFraming::kContentLength);
  EXPECT_EQ(h.content_length, 12u);
  ASSERT_FALSE(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", h));
  EXPECT_EQ(h.framing, BodyFraming::kChunked);
  ASSERT_FALSE(parse("GET / HTTP/1.0\r\n\r\n", h));
  EXPECT_FALSE(h.keep_alive);
  ASSERT_FALSE(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", h));
  EXPECT_FALSE(h.keep_alive);
}

TEST(HeadParser, SmugglingVectorsRejected) {
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n"), 400);      // obs-fold
  EXPECT_EQ(status_of("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400);                        // bare LF
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"), 400);                // bare CR
  EXPECT_EQ(status_of(std::string("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 30)), 400);  // NUL
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\n\r\n"), 400);  // no Host in HTTP/1.1
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nBad Name: x\r\nHost: a\r\n\r\n"), 400);
}

TEST(HeadParser, LimitsAndVersions) {
  std::string big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(9000, 'a') + "\r\n\r\n";
  EXPECT_EQ(status_of(big), 431);
  std::string long_uri = "GET /" + std::string(5000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n";
  RequestHead h;
  EXPECT_EQ(parse(long_uri, h, 16384).status, 414);
  EXPECT_EQ(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(status_of("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n"), 501);
  EXPECT_EQ(status_of("GET http://a/b HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(HeadParser, NeedsMoreUntilBlankLine) {
  std::string raw = "GET / HTTP/1.1\r\nHost: a\r\n";
  EXPECT_EQ(find_head_end(raw.data(), raw.size(), 8192, 431).kind, HeadScan::Kind::kNeedMore);
  raw += "\r";
  EXPECT_EQ(find_head_end(raw.data(), raw.size(), 8192, 431).kind, HeadScan::Kind::kNeedMore);
  raw += "\n";
  auto scan = find_head_end(raw.data(), raw.size(), 8192, 431);
  EXPECT_EQ(scan.kind, HeadScan::Kind::kComplete);
  EXPECT_EQ(scan.head_end, raw.size());
}

TEST(HeadParser, LeadingEmptyLinesSkipped) {
  std::string raw = "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  auto scan = find_head_end(raw.data(), raw.size(), 8192, 431);
  ASSERT_EQ(scan.kind, HeadScan::Kind::kComplete);
  EXPECT_EQ(scan.skip, 2u);
}

TEST(HeadParser, Responses) {
  ResponseHead r;
  std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  ASSERT_FALSE(parse_response_head(raw.data(), raw.size(), false, r));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.framing, BodyFraming::kContentLength);
  ASSERT_FALSE(parse_response_head(raw.data(), raw.size(), true, r));
  EXPECT_EQ(r.framing, BodyFraming::kNone);  // HEAD
  raw = "HTTP/1.1 200 OK\r\n\r\n";
  ASSERT_FALSE(parse_response_head(raw.data(), raw.size(), false, r));
  EXPECT_EQ(r.framing, BodyFraming::kUntilClose);
  EXPECT_FALSE(r.keep_alive);
  raw = "HTTP/1.1 204 No Content\r\n\r\n";
  ASSERT_FALSE(parse_response_head(raw.data(), raw.size(), false, r));
  EXPECT_EQ(r.framing, BodyFraming::kNone);
  EXPECT_TRUE(r.keep_alive);
  raw = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(parse_response_head(raw.data(), raw.size(), false, r).status, 502);
}

}  // namespace
}  // namespace postern::http
