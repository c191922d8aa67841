#include "jose/json_util.h"

#include <algorithm>
#include <vector>

#include "jose/base64url.h"

namespace postern::jose::detail {
namespace {

bool object_has_duplicates(simdjson::dom::object obj, bool deep);

bool has_duplicates(simdjson::dom::element e, bool deep) {
  if (e.type() == simdjson::dom::element_type::ARRAY) {
    simdjson::dom::array arr = e.get_array().value_unsafe();
    for (simdjson::dom::element child : arr) {
      if (has_duplicates(child, deep)) return true;
    }
    return false;
  }
  if (e.type() != simdjson::dom::element_type::OBJECT) return false;
  return object_has_duplicates(e.get_object().value_unsafe(), deep);
}

bool object_has_duplicates(simdjson::dom::object obj, bool deep) {
  // Small objects are the norm: a sorted vector of views beats any hash set here.
  std::vector<std::string_view> keys;
  keys.reserve(obj.size());
  for (simdjson::dom::key_value_pair kv : obj) {
    keys.push_back(kv.key);
    if (deep && has_duplicates(kv.value, deep)) return true;
  }
  std::sort(keys.begin(), keys.end());
  return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
}

}  // namespace

bool has_duplicate_members(simdjson::dom::object obj) { return object_has_duplicates(obj, true); }

JsonStatus parse_strict_object(simdjson::dom::parser& parser, std::string_view json, bool padded,
                               simdjson::dom::object& out, bool deep) {
  if (parser.allocate(std::max<size_t>(json.size(), 64), kMaxJsonDepth) != simdjson::SUCCESS) {
    return JsonStatus::kInvalid;
  }
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size(), !padded).get(root) != simdjson::SUCCESS) {
    return JsonStatus::kInvalid;
  }
  if (root.type() != simdjson::dom::element_type::OBJECT) return JsonStatus::kNotObject;
  if (object_has_duplicates(root.get_object().value_unsafe(), deep)) return JsonStatus::kDuplicate;
  out = root.get_object().value_unsafe();
  return JsonStatus::kOk;
}

size_t base64url_decode_padded(std::string_view b64, std::string& out) {
  out.clear();
  if (!base64url_decode(b64, out)) return std::string::npos;
  size_t n = out.size();
  out.append(simdjson::SIMDJSON_PADDING, '\0');
  return n;
}

}  // namespace postern::jose::detail
