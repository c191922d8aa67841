#pragma once
// Route table: a trie over path segments of normalized request paths. Templates are full
// paths (API base path + resource path) with `{name}` segments. Matching never allocates.
//
// Contract:
// - add() is called while building a Snapshot (single thread); match() is called
//   concurrently by workers on a finished, immutable table.
// - A literal segment wins over a `{param}` segment at the same depth ("/pets/mine" beats
//   "/pets/{id}"); the router backtracks to the param branch when the literal branch fails.
// - A trailing slash is significant only when a template has one: "/pets/" matches the
//   template "/pets" too (WSO2 issue #575: users expect both to work).
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace postern::router {

// HTTP methods the router knows; kOther matches nothing (405).
enum class Method : uint8_t { kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions, kTrace, kOther };
inline constexpr int kMethodCount = 8;

Method method_from_string(std::string_view m);  // "GET" -> kGet, unknown -> kOther
std::string_view method_name(Method m);         // kGet -> "GET"

// A captured `{name}` segment: views into the template's name and the matched path.
struct PathParam {
  std::string_view name;
  std::string_view value;
};

inline constexpr size_t kMaxPathParams = 16;

struct MatchResult {
  enum class Kind : uint8_t {
    kMatched,           // route_id is valid
    kNotFound,          // no template matches the path (404)
    kMethodNotAllowed,  // a template matches, but not for this method (405); allowed_methods set
  };
  Kind kind = Kind::kNotFound;
  uint32_t route_id = 0;
  uint16_t allowed_methods = 0;  // bit (1 << int(Method)) per method the matched path allows
  uint8_t param_count = 0;
  std::array<PathParam, kMaxPathParams> params{};
};

class RouteTable {
 public:
  RouteTable();
  ~RouteTable();
  RouteTable(RouteTable&&) noexcept;
  RouteTable& operator=(RouteTable&&) noexcept;

  // Registers `path_template` for `method` as `route_id`. Fails (with a message that
  // names the conflict) when the same method and an equivalent template (same literals,
  // params in the same places) are already registered, or the template is malformed.
  Status add(Method method, std::string_view path_template, uint32_t route_id);

  // `path` must be normalized (http::normalize_path) and must not contain the query.
  // When HEAD has no route of its own, a GET route answers it.
  void match(Method method, std::string_view path, MatchResult& out) const;

  size_t size() const { return count_; }

 private:
  struct Node;
  std::unique_ptr<Node> root_;
  size_t count_ = 0;
};

}  // namespace postern::router
