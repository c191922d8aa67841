// The plain proxy path: routing, methods, bodies both ways, keep-alive, pipelining,
// forwarded headers and path normalization — as a client on a socket sees them.
#include <sys/socket.h>

#include <atomic>
#include <set>
#include <thread>

#include "fixture.h"

namespace postern::itest {
namespace {

using Proxy = GatewayTest;

TEST_F(Proxy, GetIsRoutedWithBasePathStrippedAndQueryKept) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/5?a=1&b=two");
  ASSERT_TRUE(r) << "no response";
  EXPECT_EQ(r->status, 200) << r->raw_head << r->body;
  Json e = echo_of(*r);
  EXPECT_EQ(e["method"].str(), "GET");
  EXPECT_EQ(e["path"].str(), "/items/5");
  EXPECT_EQ(e["query"].str(), "a=1&b=two");
  EXPECT_EQ(e["version"].str(), "HTTP/1.1");
}

TEST_F(Proxy, EndpointUrlPathIsPrepended) {
  start_echo();
  GatewayOptions o;
  o.apis["pets.yaml"] = pets_api(echo->url() + "/backend/v2");
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  auto r = http_request(port(), "GET", "/pets/1.0.0/items");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(echo_of(*r)["path"].str(), "/backend/v2/items");
}

TEST_F(Proxy, UnknownPathIs404Json) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  for (const char* target :
       {"/nothing/here", "/pets/1.0.0/unknown", "/pets/2.0.0/items", "/pets/1.0.0/items/5/extra"}) {
    SCOPED_TRACE(target);
    auto r = http_request(port(), "GET", target);
    ASSERT_TRUE(r);
    expect_json_error(*r, 404);
  }
}

TEST_F(Proxy, WrongMethodIs405WithAllow) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  auto r = http_request(port(), "DELETE", "/pets/1.0.0/items");
  ASSERT_TRUE(r);
  expect_json_error(*r, 405);
  auto allow = r->header("allow");
  ASSERT_TRUE(allow) << "405 without Allow: " << r->raw_head;
  EXPECT_NE(allow->find("GET"), std::string::npos) << *allow;
  EXPECT_NE(allow->find("POST"), std::string::npos) << *allow;
  EXPECT_EQ(allow->find("DELETE"), std::string::npos) << *allow;

  auto r2 = http_request(port(), "PATCH", "/pets/1.0.0/items/7");
  ASSERT_TRUE(r2);
  expect_json_error(*r2, 405);
  auto allow2 = r2->header("allow");
  ASSERT_TRUE(allow2);
  EXPECT_NE(allow2->find("DELETE"), std::string::npos) << *allow2;
}

TEST_F(Proxy, UpstreamStatusesArePassedThrough) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  for (int status : {201, 404, 418, 500, 503}) {
    SCOPED_TRACE(status);
    auto r = http_request(port(), "GET", "/pets/1.0.0/items/1?status=" + std::to_string(status));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status);
    // The backend's own body, not a gateway error.
    EXPECT_EQ(echo_of(*r)["path"].str(), "/items/1");
  }
}

TEST_F(Proxy, PostContentLengthBody) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  std::string body = R"({"name":"rex","kind":"dog"})";
  auto r = http_request(port(), "POST", "/pets/1.0.0/items", {{"Content-Type", "application/json"}}, body);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  Json e = echo_of(*r);
  EXPECT_EQ(e["method"].str(), "POST");
  EXPECT_EQ(e["body"].str(), body);
  EXPECT_EQ(e["body_bytes"].num(), double(body.size()));
  EXPECT_EQ(e["body_sha256"].str(), sha256_hex(body));
  EXPECT_EQ(echo_header(e, "content-type"), std::vector<std::string>{"application/json"});
}

TEST_F(Proxy, PostChunkedBody) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  std::string body = pattern_body(10000);
  Conn c(port());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send(make_request("POST", "/pets/1.0.0/items", {{"Transfer-Encoding", "chunked"}}) +
                     chunked_encode(body, 777)));
  auto r = c.read_response();
  ASSERT_TRUE(r) << c.error();
  EXPECT_EQ(r->status, 200);
  Json e = echo_of(*r);
  EXPECT_EQ(e["body_bytes"].num(), 10000);
  EXPECT_EQ(e["body_sha256"].str(), sha256_hex(body));
}

TEST_F(Proxy, ChunkedAndContentLengthResponses) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  Conn c(port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send(make_request("GET", "/pets/1.0.0/items/1?bytes=100000&chunked=1")));
  auto r = c.read_response();
  ASSERT_TRUE(r) << c.error();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), 100000u);
  EXPECT_TRUE(r->body == pattern_body(100000)) << "chunked response body differs";
  ASSERT_TRUE(c.send(make_request("GET", "/pets/1.0.0/items/1?bytes=3000")));
  auto r2 = c.read_response();
  ASSERT_TRUE(r2) << c.error();
  EXPECT_EQ(r2->status, 200);
  EXPECT_EQ(r2->body, pattern_body(3000));
}

TEST_F(Proxy, HeadHasNoBodyAndConnectionStaysUsable) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  Conn c(port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send(make_request("HEAD", "/pets/1.0.0/items/5?bytes=5000")));
  auto r = c.read_response(10000ms, /*head_request=*/true);
  ASSERT_TRUE(r) << c.error();
  EXPECT_EQ(r->status, 200);
  // The next response must start right away: no body bytes of the HEAD response leaked.
  ASSERT_TRUE(c.send(make_request("GET", "/pets/1.0.0/items/6")));
  auto r2 = c.read_response();
  ASSERT_TRUE(r2) << c.error() << " pending: " << c.pending().substr(0, 200);
  EXPECT_EQ(r2->status, 200);
  EXPECT_EQ(echo_of(*r2)["path"].str(), "/items/6");
}

TEST_F(Proxy, Status204And304HaveNoBody) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  Conn c(port());
  ASSERT_TRUE(c.ok());
  for (int status : {204, 304}) {
    SCOPED_TRACE(status);
    ASSERT_TRUE(c.send(make_request("GET", "/pets/1.0.0/items/5?status=" + std::to_string(status))));
    auto r = c.read_response();
    ASSERT_TRUE(r) << c.error();
    EXPECT_EQ(r->status, status);
    EXPECT_FALSE(r->header("transfer-encoding")) << r->raw_head;
  }
  ASSERT_TRUE(c.send(make_request("GET", "/pets/1.0.0/items/6")));
  auto r = c.read_response();
  ASSERT_TRUE(r) << c.error() << " pending: " << c.pending().substr(0, 200);
  EXPECT_EQ(r->status, 200);
}

TEST_F(Proxy, Expect100Continue) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  std::string body = "hello, continue";
  Conn c(port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send(make_request("POST", "/pets/1.0.0/items",
                                  {{"Expect", "100-continue"}, {"Content-Length", std::to_string(body.size())}})));
  auto interim = c.read_response(5000ms);
  ASSERT_TRUE(interim) << "no 100 Continue before the body was sent: " << c.error();
  EXPECT_EQ(interim->status, 100) << interim->raw_head;
  ASSERT_TRUE(c.send(body));
  auto r = c.read_response();
  ASSERT_TRUE(r) << c.error();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(echo_of(*r)["body"].str(), body);
}

TEST_F(Proxy, ClientKeepAlive) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  Conn c(port());
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(c.send(make_request("GET", "/pets/1.0.0/items/" + std::to_string(i))));
    auto r = c.read_response();
    ASSERT_TRUE(r) << "request " << i << ": " << c.error();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(echo_of(*r)["path"].str(), "/items/" + std::to_string(i));
  }
}

TEST_F(Proxy, PipelinedRequestsAnsweredInOrder) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  Conn c(port());
  ASSERT_TRUE(c.ok());
  std::string batch;
  batch += make_request("GET", "/pets/1.0.0/items/1?delay_ms=200");
  batch += make_request("POST", "/pets/1.0.0/items", {}, "second");
  batch += make_request("GET", "/pets/1.0.0/items/3");
  batch += make_request("GET", "/nope");  // a local 404 in the middle keeps its place
  batch += make_request("DELETE", "/pets/1.0.0/items/5");
  ASSERT_TRUE(c.send(batch));
  auto r1 = c.read_response();
  ASSERT_TRUE(r1) << c.error();
  EXPECT_EQ(echo_of(*r1)["path"].str(), "/items/1");
  auto r2 = c.read_response();
  ASSERT_TRUE(r2) << c.error();
  EXPECT_EQ(echo_of(*r2)["body"].str(), "second");
  auto r3 = c.read_response();
  ASSERT_TRUE(r3) << c.error();
  EXPECT_EQ(echo_of(*r3)["path"].str(), "/items/3");
  auto r4 = c.read_response();
  ASSERT_TRUE(r4) << c.error();
  EXPECT_EQ(r4->status, 404);
  auto r5 = c.read_response();
  ASSERT_TRUE(r5) << c.error();
  EXPECT_EQ(r5->status, 200);
  EXPECT_EQ(echo_of(*r5)["method"].str(), "DELETE");
}

TEST_F(Proxy, ClientConnectionCloseIsHonoured) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  Conn c(port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send(make_request("GET", "/pets/1.0.0/items/1", {{"Connection", "close"}})));
  auto r = c.read_response();
  ASSERT_TRUE(r) << c.error();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(c.wait_closed(3000ms)) << "gateway kept the connection open after Connection: close";
}

TEST_F(Proxy, UpstreamClosingConnectionDoesNotBreakClient) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  Conn c(port());
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send(make_request("GET", "/pets/1.0.0/items/1?close=1")));
    auto r = c.read_response();
    ASSERT_TRUE(r) << "request " << i << ": " << c.error();
    EXPECT_EQ(r->status, 200);
  }
  ASSERT_TRUE(c.send(make_request("GET", "/pets/1.0.0/items/2")));
  auto r = c.read_response();
  ASSERT_TRUE(r) << c.error();
  EXPECT_EQ(r->status, 200);
}

TEST_F(Proxy, HopByHopHeadersAreNotForwarded) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/5",
                        {{"Connection", "keep-alive, X-Hop-Custom"},
                         {"Keep-Alive", "timeout=5"},
                         {"TE", "trailers"},
                         {"Proxy-Connection", "keep-alive"},
                         {"X-Hop-Custom", "secret"},
                         {"X-End-To-End", "kept"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  Json e = echo_of(*r);
  for (const char* h : {"keep-alive", "te", "proxy-connection", "x-hop-custom", "upgrade"})
    EXPECT_FALSE(e["headers"].has(h)) << h << " was forwarded: " << r->body;
  // Whatever Connection header the gateway sends upstream is its own, not the client's.
  for (auto& v : echo_header(e, "connection")) EXPECT_EQ(v.find("X-Hop-Custom"), std::string::npos) << v;
  EXPECT_EQ(echo_header(e, "x-end-to-end"), std::vector<std::string>{"kept"});
}

TEST_F(Proxy, UpgradeHeaderWithoutConnectionUpgradeIsStripped) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/5", {{"Upgrade", "h2c"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_FALSE(echo_of(*r)["headers"].has("upgrade")) << r->body;
}

TEST_F(Proxy, WebSocketUpgradeIs501) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  Conn c(port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send(make_request("GET", "/pets/1.0.0/items/5",
                                  {{"Connection", "Upgrade"},
                                   {"Upgrade", "websocket"},
                                   {"Sec-WebSocket-Version", "13"},
                                   {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}})));
  auto r = c.read_response();
  ASSERT_TRUE(r) << c.error();
  expect_json_error(*r, 501);
}

TEST_F(Proxy, ForwardedHeadersReplaceClientValues) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/5",
                        {{"Host", "api.example.com"},
                         {"X-Forwarded-For", "6.6.6.6"},
                         {"X-Forwarded-Proto", "https"},
                         {"X-Forwarded-Host", "evil.example"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  Json e = echo_of(*r);
  EXPECT_EQ(echo_header(e, "x-forwarded-for"), std::vector<std::string>{"127.0.0.1"}) << r->body;
  EXPECT_EQ(echo_header(e, "x-forwarded-proto"), std::vector<std::string>{"http"}) << r->body;
  EXPECT_EQ(echo_header(e, "x-forwarded-host"), std::vector<std::string>{"api.example.com"}) << r->body;
}

TEST_F(Proxy, HostIsRewrittenToEndpoint) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/5", {{"Host", "api.example.com"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(echo_header(echo_of(*r), "host"), std::vector<std::string>{"127.0.0.1:" + std::to_string(echo->port())});
}

TEST_F(Proxy, PreserveHostKeepsClientHost) {
  GatewayOptions o;
  o.forwarding = {"preserve_host: true"};
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/5", {{"Host", "api.example.com"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(echo_header(echo_of(*r), "host"), std::vector<std::string>{"api.example.com"});
}

TEST_F(Proxy, RequestIdGeneratedWhenAbsent) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  auto r1 = http_request(port(), "GET", "/pets/1.0.0/items/5");
  auto r2 = http_request(port(), "GET", "/pets/1.0.0/items/5");
  ASSERT_TRUE(r1 && r2);
  auto up1 = echo_header(echo_of(*r1), "x-request-id");
  auto up2 = echo_header(echo_of(*r2), "x-request-id");
  ASSERT_EQ(up1.size(), 1u) << r1->body;
  ASSERT_EQ(up2.size(), 1u) << r2->body;
  EXPECT_FALSE(up1[0].empty());
  EXPECT_NE(up1[0], up2[0]) << "two requests got the same generated X-Request-ID";
  EXPECT_EQ(r1->header("x-request-id"), up1[0]) << "response does not carry the request id";
}

TEST_F(Proxy, RequestIdPropagatedWhenPresent) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/5", {{"X-Request-ID", "trace-abc-123"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(echo_header(echo_of(*r), "x-request-id"), std::vector<std::string>{"trace-abc-123"});
  EXPECT_EQ(r->header("x-request-id"), "trace-abc-123");
}

TEST_F(Proxy, LocalErrorsCarryRequestId) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  auto r = http_request(port(), "GET", "/no/such/api", {{"X-Request-ID", "trace-404"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->header("x-request-id"), "trace-404");
}

TEST_F(Proxy, PathIsNormalizedBeforeRoutingAndForwarding) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  struct Case {
    const char* sent;
    const char* forwarded;
  };
  for (Case c :
       {Case{"/pets/1.0.0/./items/../items/%35", "/items/5"}, Case{"/pets/1.0.0/items/%7Euser", "/items/~user"},
        Case{"/pets/1.0.0/items/%7euser", "/items/~user"}, Case{"/pets/%31.0.0/items/7", "/items/7"},
        Case{"/other/../pets/1.0.0/items/8", "/items/8"}, Case{"/pets/1.0.0/items/a%20b", "/items/a%20b"}}) {
    SCOPED_TRACE(c.sent);
    auto r = http_request(port(), "GET", c.sent);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(echo_of(*r)["path"].str(), c.forwarded);
  }
}

TEST_F(Proxy, DotSegmentsCannotEscapeTheBasePath) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  // Normalizes to /secret (no such API) rather than being forwarded with the dots.
  auto r = http_request(port(), "GET", "/pets/1.0.0/../../secret");
  ASSERT_TRUE(r);
  expect_json_error(*r, 404);
  // Encoded dots are dots too: either normalized away (404) or refused (400), never forwarded.
  auto r2 = http_request(port(), "GET", "/pets/1.0.0/items/%2e%2e/%2e%2e/%2e%2e/secret");
  ASSERT_TRUE(r2);
  EXPECT_TRUE(r2->status == 404 || r2->status == 400) << r2->raw_head << r2->body;
}

TEST_F(Proxy, EncodedSlashAllowedWhenConfigured) {
  GatewayOptions o;
  o.forwarding = {"allow_encoded_slash: true"};
  ASSERT_NO_FATAL_FAILURE(start_gateway(o));
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/a%2Fb");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  // One resource id with an encoded slash, not two path segments.
  EXPECT_EQ(echo_of(*r)["path"].str(), "/items/a%2Fb");
}

TEST_F(Proxy, ConcurrentClients) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  constexpr int kThreads = 16, kRequests = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Conn c(port());
      if (!c.ok()) return;
      for (int i = 0; i < kRequests; ++i) {
        std::string path = "/pets/1.0.0/items/" + std::to_string(t * 1000 + i);
        if (!c.send(make_request("GET", path))) return;
        auto r = c.read_response();
        if (!r || r->status != 200) return;
        auto j = r->json();
        if (!j || (*j)["path"].str() != "/items/" + std::to_string(t * 1000 + i)) return;
        ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kRequests);
}

TEST_F(Proxy, ClientAbortMidResponseLeavesGatewayHealthy) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  for (int i = 0; i < 5; ++i) {
    Conn c(port());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.send(make_request("GET", "/pets/1.0.0/items/1?bytes=5242880")));
    char buf[1024];
    // Read a little, then vanish.
    eventually(2000ms, [&] { return ::recv(c.fd(), buf, sizeof buf, MSG_DONTWAIT) > 0; });
    c.close();
  }
  auto r = http_request(port(), "GET", "/pets/1.0.0/items/2");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(Proxy, CurlGetAndPost) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  std::string base = "http://127.0.0.1:" + std::to_string(port());
  auto get = run_command("curl -sS --max-time 10 " + base + "/pets/1.0.0/items/42", 20, false);
  ASSERT_EQ(get.exit_code, 0) << get.output;
  auto j = Json::parse(get.output);
  ASSERT_TRUE(j) << get.output;
  EXPECT_EQ((*j)["path"].str(), "/items/42");
  // curl streams a body of unknown length with chunked encoding.
  write_file(tmp / "upload.bin", pattern_body(300000));
  auto post = run_command("curl -sS --max-time 10 -H 'Transfer-Encoding: chunked' --data-binary @" +
                              (tmp / "upload.bin").string() + " " + base + "/pets/1.0.0/items",
                          20, false);
  ASSERT_EQ(post.exit_code, 0) << post.output;
  auto pj = Json::parse(post.output);
  ASSERT_TRUE(pj) << post.output.substr(0, 300);
  EXPECT_EQ((*pj)["body_bytes"].num(), 300000);
  EXPECT_EQ((*pj)["body_sha256"].str(), sha256_hex(pattern_body(300000)));
}

}  // namespace
}  // namespace postern::itest
