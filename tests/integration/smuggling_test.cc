// Ambiguous or malformed requests are refused with 400 and the connection is closed —
// never forwarded — and limits/timeouts on the client side fire.
#include "fixture.h"

namespace postern::itest {
namespace {

class Smuggling : public GatewayTest {
 protected:
  // Sends `raw` on a fresh connection and expects exactly one 400 JSON reply followed by
  // the gateway closing the connection (so nothing after the bad request is parsed).
  void expect_rejected(const std::string& raw, int status = 400) {
    Conn c(port());
    ASSERT_TRUE(c.ok()) << c.error();
    c.send(raw);  // the gateway may close before reading everything
    auto r = c.read_response(5000ms);
    ASSERT_TRUE(r) << "no response (" << c.error() << ")";
    expect_json_error(*r, status);
    EXPECT_TRUE(c.wait_closed(3000ms)) << "connection left open after a rejected request";
    EXPECT_EQ(c.pending(), "") << "bytes after the rejection (a second response?)";
  }
};

const std::string kSmuggled = "GET /pets/1.0.0/items/666 HTTP/1.1\r\nHost: x\r\n\r\n";

TEST_F(Smuggling, ContentLengthWithTransferEncoding) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  SCOPED_TRACE("CL then TE");
  expect_rejected(
      "POST /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
      kSmuggled);
  SCOPED_TRACE("TE then CL");
  expect_rejected(
      "POST /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
      "Content-Length: 40\r\n\r\n0\r\n\r\n" +
      kSmuggled);
}

TEST_F(Smuggling, TwoDifferentContentLengths) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  SCOPED_TRACE("two header lines");
  expect_rejected(
      "POST /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
      "Content-Length: 6\r\n\r\nhello!");
  SCOPED_TRACE("one list");
  expect_rejected("POST /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!");
}

TEST_F(Smuggling, InvalidContentLength) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  for (const char* cl : {"abc", "-1", "1 2", "+5", "0x10", "99999999999999999999999"}) {
    SCOPED_TRACE(cl);
    expect_rejected(std::string("POST /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\nContent-Length: ") + cl +
                    "\r\n\r\nhello");
  }
}

TEST_F(Smuggling, InvalidChunkSize) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  for (const char* size : {"zz", "0x5", "-5", "fffffffffffffffffffff"}) {
    SCOPED_TRACE(size);
    expect_rejected(std::string("POST /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n") +
                    size + "\r\nhello\r\n0\r\n\r\n");
  }
}

TEST_F(Smuggling, TransferEncodingOtherThanChunked) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  // RFC 9112 §6.3: a request whose final transfer coding is not chunked has no reliable
  // length; the server must answer 400 and close.
  for (const char* te : {"gzip", "chunked, gzip", "xchunked"}) {
    SCOPED_TRACE(te);
    expect_rejected(std::string("POST /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ") + te +
                    "\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  }
}

TEST_F(Smuggling, ObsFoldHeader) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  expect_rejected("GET /pets/1.0.0/items/5 HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n  b\r\n\r\n");
  expect_rejected("GET /pets/1.0.0/items/5 HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n\tb\r\n\r\n");
}

TEST_F(Smuggling, BareLineFeedInHeaders) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  expect_rejected("GET /pets/1.0.0/items/5 HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n");
}

TEST_F(Smuggling, BareCarriageReturnInHeaderValue) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  expect_rejected("GET /pets/1.0.0/items/5 HTTP/1.1\r\nHost: x\r\nX-A: b\rX-B: c\r\n\r\n");
}

TEST_F(Smuggling, NulInHeaderValue) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  static const char raw[] = "GET /pets/1.0.0/items/5 HTTP/1.1\r\nHost: x\r\nX-A: b\0c\r\n\r\n";
  expect_rejected(std::string(raw, sizeof raw - 1));
}

TEST_F(Smuggling, WhitespaceBeforeHeaderColon) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  // RFC 9112 §5.1: must be rejected with 400 (proxies that accept it are smuggling vectors).
  expect_rejected("POST /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello");
}

TEST_F(Smuggling, EncodedSlashInPath) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  expect_rejected("GET /pets/1.0.0/items/a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n");
  expect_rejected("GET /pets/1.0.0/items/a%2fb HTTP/1.1\r\nHost: x\r\n\r\n");
}

TEST_F(Smuggling, ValidRequestAfterRejectionsStillServed) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  expect_rejected(
      "POST /pets/1.0.0/items HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// ---------------------------------------------------------------------------------------

using Limits = GatewayTest;

TEST_F(Limits, UriTooLongIs414) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/" + std::string(5000, 'a'));
  ASSERT_TRUE(r);
  expect_json_error(*r, 414);
  // Just under the limit is fine.
  auto ok = http_request(port(), "GET", "/pets/1.0.0/items/" + std::string(3000, 'a'));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(Limits, HeadersTooLargeIs431) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/1", {{"X-Big", std::string(10000, 'b')}});
  ASSERT_TRUE(r);
  expect_json_error(*r, 431);
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 100; ++i) many.emplace_back("X-H" + std::to_string(i), std::string(100, 'v'));
  auto r2 = http_request(port(), "GET", "/pets/1.0.0/items/1", many);
  ASSERT_TRUE(r2);
  expect_json_error(*r2, 431);
  auto ok = http_request(port(), "GET", "/pets/1.0.0/items/1", {{"X-Big", std::string(4000, 'b')}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(Limits, ConfiguredHeaderLimitApplies) {
  GatewayOptions o;
  o.limits = {"max_header_bytes: 1024"};
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/1", {{"X-Big", std::string(2000, 'b')}});
  ASSERT_TRUE(r);
  expect_json_error(*r, 431);
}

TEST_F(Limits, BodyLargerThanMaxIs413) {
  GatewayOptions o;
  o.limits = {"max_body_bytes: 1000"};
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  auto ok = http_request(port(), "POST", "/pets/1.0.0/items", {}, pattern_body(1000));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  auto r = http_request(port(), "POST", "/pets/1.0.0/items", {}, pattern_body(2000));
  ASSERT_TRUE(r);
  expect_json_error(*r, 413);
}

TEST_F(Limits, ChunkedBodyLargerThanMaxIs413) {
  GatewayOptions o;
  o.limits = {"max_body_bytes: 1000"};
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  Conn c(port());
  ASSERT_TRUE(c.ok());
  c.send(make_request("POST", "/pets/1.0.0/items", {{"Transfer-Encoding", "chunked"}}) +
         chunked_encode(pattern_body(5000), 500));
  auto r = c.read_response();
  ASSERT_TRUE(r) << c.error();
  expect_json_error(*r, 413);
}

TEST_F(Limits, HeaderTimeoutClosesSlowlorisConnection) {
  GatewayOptions o;
  o.limits = {"header_timeout: 1s"};
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  Conn c(port());
  ASSERT_TRUE(c.ok());
  auto start = Clock::now();
  ASSERT_TRUE(c.send("GET /pets/1.0.0/items/1 HTTP/1.1\r\nHost: x\r\n"));
  // Drip one header line every 200 ms: each byte arriving must not extend the deadline.
  bool closed = false;
  for (int i = 0; i < 25 && !closed; ++i) {
    closed = c.wait_closed(200ms);
    if (!closed) c.send("X-Drip-" + std::to_string(i) + ": 1\r\n");
  }
  auto elapsed = std::chrono::duration_cast<Millis>(Clock::now() - start);
  ASSERT_TRUE(closed) << "connection still open after " << elapsed.count() << " ms";
  EXPECT_GE(elapsed.count(), 800) << "closed before the header timeout";
  EXPECT_LE(elapsed.count(), 3500) << "header timeout fired late";
  // Anything sent before the close is a 408 JSON error.
  if (!c.pending().empty()) {
    EXPECT_EQ(c.pending().rfind("HTTP/1.1 408", 0), 0u) << c.pending();
  }
}

TEST_F(Limits, IdleKeepAliveConnectionIsClosed) {
  GatewayOptions o;
  o.limits = {"idle_timeout: 1s"};
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  Conn c(port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send(make_request("GET", "/pets/1.0.0/items/1")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto start = Clock::now();
  EXPECT_TRUE(c.wait_closed(4000ms)) << "idle connection not closed";
  auto elapsed = std::chrono::duration_cast<Millis>(Clock::now() - start);
  EXPECT_GE(elapsed.count(), 800);
  EXPECT_EQ(c.pending(), "");
}

// A connection idle past ProxySession::kParkAfter (200 ms) is parked without a coroutine:
// its next request is served as before, and the idle timeout still counts from the last
// response, not from the park.
TEST_F(Limits, ParkedIdleConnectionIsServedAndClosedAtTheIdleTimeout) {
  GatewayOptions o;
  o.limits = {"idle_timeout: 2500ms"};
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  Conn c(port());
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(c.send(make_request("GET", "/pets/1.0.0/items/" + std::to_string(i))));
    auto r = c.read_response();
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(echo_of(*r)["path"].str(), "/items/" + std::to_string(i));
    if (i == 0) sleep_for(800ms);  // parked by now
  }
  auto start = Clock::now();
  EXPECT_TRUE(c.wait_closed(6000ms)) << "parked idle connection not closed";
  auto elapsed = std::chrono::duration_cast<Millis>(Clock::now() - start);
  EXPECT_GE(elapsed.count(), 2200) << "closed before the idle timeout";
  EXPECT_EQ(c.pending(), "");
}

}  // namespace
}  // namespace postern::itest
