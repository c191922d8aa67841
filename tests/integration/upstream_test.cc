// The upstream side: connection failures and timeouts, keep-alive reuse, large streamed
// bodies in both directions.
#include <set>

#include "fixture.h"

namespace postern::itest {
namespace {

using Upstream = GatewayTest;

TEST_F(Upstream, UpstreamDownIs502Json) {
  int dead_port = free_port();  // nothing listens there
  GatewayOptions o;
  o.apis["pets.yaml"] = pets_api("http://127.0.0.1:" + std::to_string(dead_port));
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/1");
  ASSERT_TRUE(r) << "no response";
  expect_json_error(*r, 502);
  // The client connection is still usable for the next request (or closed cleanly).
  auto r2 = http_request(port(), "POST", "/pets/1.0.0/items", {}, "body");
  ASSERT_TRUE(r2);
  expect_json_error(*r2, 502);
}

TEST_F(Upstream, SlowUpstreamIs504Json) {
  GatewayOptions o;
  o.limits = {"upstream_response_timeout: 1s"};
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  auto start = Clock::now();
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/1?delay_ms=4000");
  auto elapsed = std::chrono::duration_cast<Millis>(Clock::now() - start);
  ASSERT_TRUE(r) << "no response";
  expect_json_error(*r, 504);
  EXPECT_GE(elapsed.count(), 900);
  EXPECT_LE(elapsed.count(), 3000) << "504 came long after the 1 s upstream timeout";
  // A fast request right after still works (the timed-out connection is not reused).
  auto ok = http_request(port(), "GET", "/pets/1.0.0/items/2");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(echo_of(*ok)["path"].str(), "/items/2");
}

TEST_F(Upstream, ResponseJustUnderTimeoutSucceeds) {
  GatewayOptions o;
  o.limits = {"upstream_response_timeout: 2s"};
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/1?delay_ms=500");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(Upstream, KeepAliveReuseOnOneClientConnection) {
  GatewayOptions o;
  o.workers = "1";
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  Conn c(port());
  ASSERT_TRUE(c.ok());
  std::set<std::string> upstream_conns;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(c.send(make_request("GET", "/pets/1.0.0/items/" + std::to_string(i))));
    auto r = c.read_response();
    ASSERT_TRUE(r) << "request " << i << ": " << c.error();
    ASSERT_EQ(r->status, 200);
    upstream_conns.insert(echo_of(*r)["connection"].str());
  }
  EXPECT_LE(upstream_conns.size(), 2u) << "50 sequential requests opened " << upstream_conns.size()
                                       << " upstream connections";
}

TEST_F(Upstream, KeepAliveReuseAcrossClientConnections) {
  GatewayOptions o;
  o.workers = "1";
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  std::set<std::string> upstream_conns;
  for (int k = 0; k < 10; ++k) {
    Conn c(port());
    ASSERT_TRUE(c.ok());
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(c.send(make_request(i % 2 ? "POST" : "GET", i % 2 ? "/pets/1.0.0/items" : "/pets/1.0.0/items/1", {},
                                      i % 2 ? "x" : "")));
      auto r = c.read_response();
      ASSERT_TRUE(r) << c.error();
      ASSERT_EQ(r->status, 200);
      upstream_conns.insert(echo_of(*r)["connection"].str());
    }
  }
  EXPECT_LE(upstream_conns.size(), 2u) << "50 sequential requests on 10 client connections opened "
                                       << upstream_conns.size() << " upstream connections";
}

TEST_F(Upstream, LargeRequestBodyContentLength) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  std::string body = pattern_body(5 * 1024 * 1024);
  Conn c(port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send(make_request("POST", "/pets/1.0.0/items", {}, body), 30000ms)) << c.error();
  auto r = c.read_response(30000ms);
  ASSERT_TRUE(r) << c.error();
  ASSERT_EQ(r->status, 200) << r->body.substr(0, 300);
  Json e = echo_of(*r);
  EXPECT_EQ(e["body_bytes"].num(), double(body.size()));
  EXPECT_EQ(e["body_sha256"].str(), sha256_hex(body));
}

TEST_F(Upstream, LargeRequestBodyChunked) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  std::string body = pattern_body(5 * 1024 * 1024);
  Conn c(port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send(make_request("POST", "/pets/1.0.0/items", {{"Transfer-Encoding", "chunked"}}) +
                         chunked_encode(body, 64 * 1024 + 3),
                     30000ms))
      << c.error();
  auto r = c.read_response(30000ms);
  ASSERT_TRUE(r) << c.error();
  ASSERT_EQ(r->status, 200) << r->body.substr(0, 300);
  Json e = echo_of(*r);
  EXPECT_EQ(e["body_bytes"].num(), double(body.size()));
  EXPECT_EQ(e["body_sha256"].str(), sha256_hex(body));
}

TEST_F(Upstream, LargeResponseContentLengthAndChunked) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  const size_t n = 5 * 1024 * 1024;
  const std::string expected = pattern_body(n);
  Conn c(port());
  ASSERT_TRUE(c.ok());
  for (const char* chunked : {"0", "1"}) {
    SCOPED_TRACE(std::string("chunked=") + chunked);
    ASSERT_TRUE(c.send(make_request("GET", "/pets/1.0.0/items/1?bytes=5242880&chunked=" + std::string(chunked))));
    auto r = c.read_response(30000ms);
    ASSERT_TRUE(r) << c.error();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.size(), n);
    EXPECT_TRUE(r->body == expected) << "5 MiB response body differs";
  }
}

TEST_F(Upstream, SlowReaderGetsWholeLargeResponse) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  const size_t n = 5 * 1024 * 1024;
  Conn c(port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send(make_request("GET", "/pets/1.0.0/items/1?bytes=5242880")));
  // Let the gateway hit back-pressure before we start reading.
  sleep_for(500ms);
  auto r = c.read_response(30000ms);
  ASSERT_TRUE(r) << c.error();
  EXPECT_EQ(r->body.size(), n);
  EXPECT_TRUE(r->body == pattern_body(n));
}

}  // namespace
}  // namespace postern::itest
