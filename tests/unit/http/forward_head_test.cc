#include "http/forward_head.h"

#include <gtest/gtest.h>

namespace postern::http {
namespace {

RequestHead parse(const std::string& raw) {
  RequestHead h;
  HeadError err = parse_request_head(raw.data(), raw.size(), 4096, h);
  EXPECT_FALSE(err) << err.reason;
  return h;
}

TEST(UpstreamHead, DropsHopByHopRebuildsForwardingAndAppliesEdits) {
  const std::string raw =
      "POST /api/v1/items?key=s3cret&a=1 HTTP/1.1\r\nHost: gw.example\r\nConnection: keep-alive, X-Drop\r\n"
      "X-Drop: 1\r\nKeep-Alive: 5\r\nX-Forwarded-For: 6.6.6.6\r\nAuthorization: Bearer t\r\n"
      "X-JWT-Assertion: forged\r\nContent-Length: 3\r\nAccept: */*\r\n\r\n";
  RequestHead req = parse(raw);
  HeaderEdits edits;
  edits.remove("authorization");
  edits.set("X-JWT-Assertion", "signed");
  std::string out;
  build_upstream_head(out, {.request = req,
                            .base_path = "/backend",
                            .base_query = "",
                            .path = "/items",
                            .host = "svc:8080",
                            .strip_query_param = "key",
                            .edits = edits,
                            .trusted_peer = false,
                            .peer_ip = "10.1.2.3",
                            .tls = true,
                            .request_id = "rid",
                            .traceparent = "00-tp",
                            .tracestate = ""});
  EXPECT_EQ(out,
            "POST /backend/items?a=1 HTTP/1.1\r\nHost: svc:8080\r\nAccept: */*\r\n"
            "X-Forwarded-For: 10.1.2.3\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: gw.example\r\n"
            "X-Request-ID: rid\r\ntraceparent: 00-tp\r\nX-JWT-Assertion: signed\r\nContent-Length: 3\r\n\r\n");
}

TEST(UpstreamHead, ATrustedProxysForwardingHeadersAreExtended) {
  const std::string raw =
      "GET /x HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-Proto: https\r\n"
      "Transfer-Encoding: chunked\r\ntracestate: a=b\r\n\r\n";
  RequestHead req = parse(raw);  // header views point into raw
  HeaderEdits none;
  std::string out;
  build_upstream_head(out, {.request = req,
                            .base_path = "",
                            .base_query = "",
                            .path = "/x",
                            .host = "h",
                            .strip_query_param = "",
                            .edits = none,
                            .trusted_peer = true,
                            .peer_ip = "10.0.0.1",
                            .tls = false,
                            .request_id = "r",
                            .traceparent = "t",
                            .tracestate = "a=b"});
  EXPECT_NE(out.find("X-Forwarded-For: 1.1.1.1, 10.0.0.1\r\n"), std::string::npos);
  EXPECT_NE(out.find("X-Forwarded-Proto: https\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tracestate: a=b\r\n"), std::string::npos);
  EXPECT_NE(out.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(out.find("tracestate: a=b\r\ntracestate"), std::string::npos);  // the client's copy is not repeated
}

// The target line the backend gets for a client target, with the endpoint's own query.
std::string target_for(const std::string& client_target, std::string_view base_query,
                       std::string_view strip = "") {
  const std::string raw = "GET " + client_target + " HTTP/1.1\r\nHost: h\r\n\r\n";
  RequestHead req = parse(raw);
  HeaderEdits none;
  std::string out;
  build_upstream_head(out, {.request = req,
                            .base_path = "/v1",
                            .base_query = base_query,
                            .path = client_target.substr(0, client_target.find('?')),
                            .host = "h",
                            .strip_query_param = strip,
                            .edits = none,
                            .trusted_peer = false,
                            .peer_ip = "",
                            .tls = false,
                            .request_id = "",
                            .traceparent = "",
                            .tracestate = ""});
  return out.substr(0, out.find(" HTTP/1.1"));
}

TEST(UpstreamHead, AnEndpointQueryComesFirstAndItsNamesCannotBeOverridden) {
  EXPECT_EQ(target_for("/items", "key=abc&v=2"), "GET /v1/items?key=abc&v=2");
  EXPECT_EQ(target_for("/items?a=1&b=2", "key=abc"), "GET /v1/items?key=abc&a=1&b=2");
  // The client's key=evil is dropped: the endpoint's parameter is fixed.
  EXPECT_EQ(target_for("/items?key=evil&a=1&key&key=x", "key=abc"), "GET /v1/items?key=abc&a=1");
  // Together with a credential parameter that is never forwarded.
  EXPECT_EQ(target_for("/items?apikey=s3cret&a=1", "key=abc", "apikey"), "GET /v1/items?key=abc&a=1");
  // Without an endpoint query the client's query is forwarded as sent, empty query included.
  EXPECT_EQ(target_for("/items?a=1&&b", ""), "GET /v1/items?a=1&&b");
  EXPECT_EQ(target_for("/items?", ""), "GET /v1/items?");
  EXPECT_EQ(target_for("/items?", "k=1"), "GET /v1/items?k=1");
}

TEST(ClientResponseHead, RebuildsFramingKeepsRequestIdAndAppliesEdits) {
  const std::string raw =
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: X-Secret\r\nX-Secret: 1\r\nServer: b\r\n"
      "Set-Cookie: a=1\r\n\r\n";
  ResponseHead resp;
  ASSERT_FALSE(parse_response_head(raw.data(), raw.size(), false, resp));
  HeaderEdits edits;
  edits.remove("server");
  edits.add("RateLimit-Limit", "10");
  std::string out;
  build_client_response_head(out, {.response = resp,
                                   .status = 200,
                                   .chunked = false,
                                   .length_known = true,
                                   .keep_alive = true,
                                   .client_version_minor = 0,
                                   .request_id = "rid",
                                   .edits = edits});
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nContent-Length: 5\r\nX-Request-ID: rid\r\n"
            "RateLimit-Limit: 10\r\nConnection: keep-alive\r\n\r\n");
  // A body a filter rewrites: no length, chunked; a changed status gets its own phrase.
  build_client_response_head(out, {.response = resp,
                                   .status = 201,
                                   .chunked = true,
                                   .length_known = false,
                                   .keep_alive = false,
                                   .client_version_minor = 1,
                                   .request_id = "rid",
                                   .edits = edits});
  EXPECT_EQ(out,
            "HTTP/1.1 201 Created\r\nSet-Cookie: a=1\r\nTransfer-Encoding: chunked\r\n"
            "X-Request-ID: rid\r\nRateLimit-Limit: 10\r\nConnection: close\r\n\r\n");
}

TEST(HeaderEdits, RemoveIsCaseInsensitiveAndSetReplaces) {
  HeaderEdits e;
  EXPECT_TRUE(e.empty());
  e.set("X-Thing", "v");
  EXPECT_TRUE(e.removes("x-thing"));
  EXPECT_TRUE(e.removes("X-THING"));
  EXPECT_TRUE(e.adds("x-thing"));
  EXPECT_FALSE(e.removes("x-other"));
  EXPECT_EQ(e.added(), "X-Thing: v\r\n");
}

}  // namespace
}  // namespace postern::http
