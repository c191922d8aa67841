#include "router/route_table.h"

#include <algorithm>
#include <optional>

namespace postern::router {

namespace {

constexpr std::array<std::string_view, kMethodCount> kMethodNames = {"GET",    "HEAD",  "POST",    "PUT",
                                                                     "DELETE", "PATCH", "OPTIONS", "TRACE"};

bool valid_param_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

uint16_t bit(Method m) { return uint16_t(1u << unsigned(m)); }

}  // namespace

Method method_from_string(std::string_view m) {
  for (int i = 0; i < kMethodCount; ++i) {
    if (kMethodNames[i] == m) return Method(i);
  }
  return Method::kOther;
}

std::string_view method_name(Method m) {
  int i = int(m);
  return i < kMethodCount ? kMethodNames[i] : std::string_view("OTHER");
}

// One registered (method, template) at the node where its template ends.
struct Terminal {
  bool present = false;
  uint32_t route_id = 0;
  std::string path_template;             // as registered, for conflict messages
  std::vector<std::string> param_names;  // in path order; PathParam::name views into these
};

// A trie node: one per distinct path prefix (in segments). Literal children are kept
// sorted so match() can binary-search them without allocating.
struct RouteTable::Node {
  std::vector<std::pair<std::string, std::unique_ptr<Node>>> literals;
  std::unique_ptr<Node> param;  // `{name}` child; names live in the terminals
  std::array<Terminal, kMethodCount> terminals;
  uint16_t methods = 0;  // bit per method with a terminal here

  Node* literal_child(std::string_view seg) const {
    auto it = std::lower_bound(literals.begin(), literals.end(), seg,
                               [](const auto& e, std::string_view s) { return std::string_view(e.first) < s; });
    if (it != literals.end() && it->first == seg) return it->second.get();
    return nullptr;
  }
};

RouteTable::RouteTable() : root_(std::make_unique<Node>()) {}
RouteTable::~RouteTable() = default;
RouteTable::RouteTable(RouteTable&&) noexcept = default;
RouteTable& RouteTable::operator=(RouteTable&&) noexcept = default;

Status RouteTable::add(Method method, std::string_view tmpl, uint32_t route_id) {
  if (method == Method::kOther) {
    return Status::error("unsupported HTTP method for template '" + std::string(tmpl) + "'");
  }
  if (tmpl.empty() || tmpl.front() != '/') {
    return Status::error("path template '" + std::string(tmpl) + "' must start with '/'");
  }
  if (tmpl.find_first_of("?#") != std::string_view::npos) {
    return Status::error("path template '" + std::string(tmpl) + "' must not contain a query or fragment ('?' or '#')");
  }
  // Parse first, so a malformed template leaves the trie untouched.
  struct Seg {
    std::string_view text;
    bool param;
  };
  std::vector<Seg> segs;
  std::vector<std::string> names;
  size_t pos = 0;  // at a '/'
  while (pos < tmpl.size()) {
    size_t end = tmpl.find('/', pos + 1);
    if (end == std::string_view::npos) end = tmpl.size();
    std::string_view seg = tmpl.substr(pos + 1, end - pos - 1);
    bool has_brace = seg.find_first_of("{}") != std::string_view::npos;
    if (has_brace) {
      if (seg.size() < 2 || seg.front() != '{' || seg.back() != '}' ||
          seg.substr(1, seg.size() - 2).find_first_of("{}") != std::string_view::npos) {
        return Status::error("path template '" + std::string(tmpl) + "': segment '" + std::string(seg) +
                             "' mixes text and a parameter; a {param} must be a whole segment "
                             "(e.g. '/files/{name}', not '/files/{name}.json')");
      }
      std::string_view name = seg.substr(1, seg.size() - 2);
      if (name.empty() || !std::all_of(name.begin(), name.end(), valid_param_name_char)) {
        return Status::error("path template '" + std::string(tmpl) + "': parameter name '" + std::string(name) +
                             "' must be non-empty and use only letters, digits, '_', '-', '.'");
      }
      for (const auto& n : names) {
        if (n == name) {
          return Status::error("path template '" + std::string(tmpl) + "': parameter '{" + std::string(name) +
                               "}' appears twice");
        }
      }
      names.emplace_back(name);
      segs.push_back({name, true});
    } else {
      segs.push_back({seg, false});
    }
    pos = end;
  }
  if (names.size() > kMaxPathParams) {
    return Status::error("path template '" + std::string(tmpl) + "' has more than " + std::to_string(kMaxPathParams) +
                         " parameters");
  }

  Node* node = root_.get();
  for (const Seg& s : segs) {
    if (s.param) {
      if (!node->param) node->param = std::make_unique<Node>();
      node = node->param.get();
      continue;
    }
    auto it = std::lower_bound(node->literals.begin(), node->literals.end(), s.text,
                               [](const auto& e, std::string_view t) { return std::string_view(e.first) < t; });
    if (it == node->literals.end() || it->first != s.text) {
      it = node->literals.emplace(it, std::string(s.text), std::make_unique<Node>());
    }
    node = it->second.get();
  }
  Terminal& t = node->terminals[int(method)];
  if (t.present) {
    return Status::error(std::string(method_name(method)) + " " + std::string(tmpl) +
                         " is equivalent to the already registered " + std::string(method_name(method)) + " " +
                         t.path_template + " (same literal segments, parameters in the same places)");
  }
  t.present = true;
  t.route_id = route_id;
  t.path_template = std::string(tmpl);
  t.param_names = std::move(names);
  node->methods |= bit(method);
  ++count_;
  return Status();
}

namespace {

struct Walker {
  Method method;
  std::string_view path;
  MatchResult& out;
  std::array<std::string_view, kMaxPathParams> values{};
  uint16_t allowed = 0;  // union of the methods of every template matching the path

  // `pos` is at a '/' starting the next segment, or at path.size() (all segments consumed).
  template <typename NodeT>
  bool walk(const NodeT* node, size_t pos, uint8_t nparams) {
    if (pos >= path.size()) return finish(node, nparams);
    size_t end = path.find('/', pos + 1);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(pos + 1, end - pos - 1);
    if (const NodeT* lit = node->literal_child(seg); lit != nullptr) {
      if (walk(lit, end, nparams)) return true;
    }
    if (node->param && !seg.empty() && nparams < kMaxPathParams) {
      values[nparams] = seg;
      if (walk(node->param.get(), end, uint8_t(nparams + 1))) return true;
    }
    return false;
  }

  template <typename NodeT>
  bool finish(const NodeT* node, uint8_t nparams) {
    if (node->methods == 0) return false;
    uint16_t m = node->methods;
    if (m & bit(Method::kGet)) m |= bit(Method::kHead);
    allowed |= m;
    if (method == Method::kOther) return false;
    const Terminal* t = &node->terminals[int(method)];
    if (!t->present && method == Method::kHead) t = &node->terminals[int(Method::kGet)];
    if (!t->present) return false;
    out.kind = MatchResult::Kind::kMatched;
    out.route_id = t->route_id;
    out.allowed_methods = m;
    out.param_count = nparams;
    for (uint8_t i = 0; i < nparams; ++i) out.params[i] = PathParam{t->param_names[i], values[i]};
    return true;
  }
};

}  // namespace

void RouteTable::match(Method method, std::string_view path, MatchResult& out) const {
  out.kind = MatchResult::Kind::kNotFound;
  out.route_id = 0;
  out.allowed_methods = 0;
  out.param_count = 0;
  if (path.empty() || path.front() != '/') return;
  Walker w{method, path, out};
  if (w.walk(root_.get(), 0, 0)) return;
  // "/pets/" also matches the template "/pets" (but "/" stays "/").
  if (path.size() > 1 && path.back() == '/') {
    w.path = path.substr(0, path.size() - 1);
    if (w.walk(root_.get(), 0, 0)) return;
  }
  if (w.allowed != 0) {
    out.kind = MatchResult::Kind::kMethodNotAllowed;
    out.allowed_methods = w.allowed;
  }
}

}  // namespace postern::router
