#include "router/route_table.h"

#include <gtest/gtest.h>

namespace postern::router {
namespace {

using Kind = MatchResult::Kind;

uint16_t bits(std::initializer_list<Method> ms) {
  uint16_t b = 0;
  for (Method m : ms) b |= uint16_t(1u << unsigned(m));
  return b;
}

MatchResult match(const RouteTable& t, Method m, std::string_view path) {
  MatchResult r;
  t.match(m, path, r);
  return r;
}

TEST(Method, RoundTrip) {
  EXPECT_EQ(method_from_string("GET"), Method::kGet);
  EXPECT_EQ(method_from_string("PATCH"), Method::kPatch);
  EXPECT_EQ(method_from_string("get"), Method::kOther);
  EXPECT_EQ(method_from_string("BREW"), Method::kOther);
  EXPECT_EQ(method_name(Method::kDelete), "DELETE");
}

TEST(RouteTable, LiteralAndParams) {
  RouteTable t;
  ASSERT_TRUE(t.add(Method::kGet, "/pets", 0));
  ASSERT_TRUE(t.add(Method::kGet, "/pets/{petId}", 1));
  ASSERT_TRUE(t.add(Method::kGet, "/pets/{petId}/photos/{photoId}", 2));
  EXPECT_EQ(t.size(), 3u);

  auto r = match(t, Method::kGet, "/pets");
  EXPECT_EQ(r.kind, Kind::kMatched);
  EXPECT_EQ(r.route_id, 0u);
  EXPECT_EQ(r.param_count, 0);

  r = match(t, Method::kGet, "/pets/42/photos/7");
  ASSERT_EQ(r.kind, Kind::kMatched);
  EXPECT_EQ(r.route_id, 2u);
  ASSERT_EQ(r.param_count, 2);
  EXPECT_EQ(r.params[0].name, "petId");
  EXPECT_EQ(r.params[0].value, "42");
  EXPECT_EQ(r.params[1].name, "photoId");
  EXPECT_EQ(r.params[1].value, "7");

  EXPECT_EQ(match(t, Method::kGet, "/pets/42/photos").kind, Kind::kNotFound);
  EXPECT_EQ(match(t, Method::kGet, "/dogs").kind, Kind::kNotFound);
  EXPECT_EQ(match(t, Method::kGet, "/").kind, Kind::kNotFound);
  EXPECT_EQ(match(t, Method::kGet, "").kind, Kind::kNotFound);
}

TEST(RouteTable, ParamNamesPerMethod) {
  RouteTable t;
  ASSERT_TRUE(t.add(Method::kGet, "/pets/{id}", 0));
  ASSERT_TRUE(t.add(Method::kDelete, "/pets/{petId}", 1));
  auto r = match(t, Method::kDelete, "/pets/9");
  ASSERT_EQ(r.kind, Kind::kMatched);
  EXPECT_EQ(r.params[0].name, "petId");
  r = match(t, Method::kGet, "/pets/9");
  EXPECT_EQ(r.params[0].name, "id");
}

TEST(RouteTable, LiteralBeatsParamAndBacktracks) {
  RouteTable t;
  ASSERT_TRUE(t.add(Method::kGet, "/pets/{id}/owner", 0));
  ASSERT_TRUE(t.add(Method::kGet, "/pets/mine", 1));
  ASSERT_TRUE(t.add(Method::kGet, "/pets/{id}", 2));

  auto r = match(t, Method::kGet, "/pets/mine");
  EXPECT_EQ(r.route_id, 1u);
  // The literal "mine" branch has no "/owner": backtrack into {id}.
  r = match(t, Method::kGet, "/pets/mine/owner");
  ASSERT_EQ(r.kind, Kind::kMatched);
  EXPECT_EQ(r.route_id, 0u);
  EXPECT_EQ(r.params[0].value, "mine");
  r = match(t, Method::kGet, "/pets/other");
  EXPECT_EQ(r.route_id, 2u);
}

TEST(RouteTable, LiteralWithoutMethodFallsBackToParamWithMethod) {
  RouteTable t;
  ASSERT_TRUE(t.add(Method::kGet, "/pets/mine", 0));
  ASSERT_TRUE(t.add(Method::kDelete, "/pets/{id}", 1));
  auto r = match(t, Method::kDelete, "/pets/mine");
  ASSERT_EQ(r.kind, Kind::kMatched);
  EXPECT_EQ(r.route_id, 1u);
  // Neither template allows POST: 405 with the union of what both allow.
  r = match(t, Method::kPost, "/pets/mine");
  EXPECT_EQ(r.kind, Kind::kMethodNotAllowed);
  EXPECT_EQ(r.allowed_methods, bits({Method::kGet, Method::kHead, Method::kDelete}));
}

TEST(RouteTable, MethodNotAllowedMask) {
  RouteTable t;
  ASSERT_TRUE(t.add(Method::kGet, "/pets", 0));
  ASSERT_TRUE(t.add(Method::kPost, "/pets", 1));
  auto r = match(t, Method::kDelete, "/pets");
  EXPECT_EQ(r.kind, Kind::kMethodNotAllowed);
  EXPECT_EQ(r.allowed_methods, bits({Method::kGet, Method::kHead, Method::kPost}));
  r = match(t, Method::kOther, "/pets");
  EXPECT_EQ(r.kind, Kind::kMethodNotAllowed);

  RouteTable only_post;
  ASSERT_TRUE(only_post.add(Method::kPost, "/x", 0));
  r = match(only_post, Method::kGet, "/x");
  EXPECT_EQ(r.allowed_methods, bits({Method::kPost}));  // no HEAD without GET
}

TEST(RouteTable, HeadFallsBackToGet) {
  RouteTable t;
  ASSERT_TRUE(t.add(Method::kGet, "/a", 0));
  ASSERT_TRUE(t.add(Method::kGet, "/b", 1));
  ASSERT_TRUE(t.add(Method::kHead, "/b", 2));
  EXPECT_EQ(match(t, Method::kHead, "/a").route_id, 0u);
  EXPECT_EQ(match(t, Method::kHead, "/a").kind, Kind::kMatched);
  EXPECT_EQ(match(t, Method::kHead, "/b").route_id, 2u);
}

TEST(RouteTable, TrailingSlash) {
  RouteTable t;
  ASSERT_TRUE(t.add(Method::kGet, "/pets", 0));
  ASSERT_TRUE(t.add(Method::kGet, "/pets/{id}", 1));
  ASSERT_TRUE(t.add(Method::kGet, "/only-slash/", 2));
  ASSERT_TRUE(t.add(Method::kGet, "/", 3));
  EXPECT_EQ(match(t, Method::kGet, "/pets/").route_id, 0u);
  EXPECT_EQ(match(t, Method::kGet, "/pets/").kind, Kind::kMatched);
  auto r = match(t, Method::kGet, "/pets/5/");
  EXPECT_EQ(r.route_id, 1u);
  EXPECT_EQ(r.params[0].value, "5");
  // A template with a trailing slash requires it.
  EXPECT_EQ(match(t, Method::kGet, "/only-slash/").route_id, 2u);
  EXPECT_EQ(match(t, Method::kGet, "/only-slash").kind, Kind::kNotFound);
  EXPECT_EQ(match(t, Method::kGet, "/").route_id, 3u);
  // Empty segments never bind a parameter.
  EXPECT_EQ(match(t, Method::kGet, "/pets//").kind, Kind::kNotFound);
}

TEST(RouteTable, RejectsMalformedTemplates) {
  RouteTable t;
  auto s = t.add(Method::kGet, "pets", 0);
  EXPECT_FALSE(s);
  EXPECT_EQ(s.message(), "path template 'pets' must start with '/'");
  s = t.add(Method::kGet, "/a{b}", 0);
  EXPECT_FALSE(s);
  EXPECT_EQ(s.message(),
            "path template '/a{b}': segment 'a{b}' mixes text and a parameter; a {param} must be a whole "
            "segment (e.g. '/files/{name}', not '/files/{name}.json')");
  EXPECT_FALSE(t.add(Method::kGet, "/{a}.json", 0));
  EXPECT_FALSE(t.add(Method::kGet, "/{}", 0));
  EXPECT_FALSE(t.add(Method::kGet, "/{a}/{a}", 0));
  EXPECT_FALSE(t.add(Method::kGet, "/a?b=c", 0));
  EXPECT_FALSE(t.add(Method::kOther, "/a", 0));
  EXPECT_EQ(t.size(), 0u);
}

TEST(RouteTable, RejectsEquivalentTemplates) {
  RouteTable t;
  ASSERT_TRUE(t.add(Method::kGet, "/pets/{id}", 0));
  ASSERT_TRUE(t.add(Method::kPut, "/pets/{petId}", 1));
  auto s = t.add(Method::kGet, "/pets/{petId}", 2);
  EXPECT_FALSE(s);
  EXPECT_EQ(s.message(),
            "GET /pets/{petId} is equivalent to the already registered GET /pets/{id} (same literal segments, "
            "parameters in the same places)");
}

TEST(RouteTable, MoveKeepsRoutes) {
  RouteTable t;
  ASSERT_TRUE(t.add(Method::kGet, "/x/{y}", 7));
  RouteTable u = std::move(t);
  auto r = match(u, Method::kGet, "/x/1");
  EXPECT_EQ(r.route_id, 7u);
  EXPECT_EQ(r.params[0].name, "y");
}

TEST(RouteTable, ManyParams) {
  RouteTable t;
  std::string tmpl, path;
  for (size_t i = 0; i < kMaxPathParams; ++i) {
    tmpl += "/{p" + std::to_string(i) + "}";
    path += "/v" + std::to_string(i);
  }
  ASSERT_TRUE(t.add(Method::kGet, tmpl, 1));
  auto r = match(t, Method::kGet, path);
  ASSERT_EQ(r.kind, Kind::kMatched);
  EXPECT_EQ(r.param_count, kMaxPathParams);
  EXPECT_EQ(r.params[kMaxPathParams - 1].value, "v15");
  EXPECT_FALSE(t.add(Method::kGet, tmpl + "/{extra}", 2));
}

}  // namespace
}  // namespace postern::router
