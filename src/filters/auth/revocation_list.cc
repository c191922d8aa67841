#include "filters/auth/revocation_list.h"

#include <simdjson.h>

namespace postern::filters {
namespace {

Status parse_entry(simdjson::dom::element e, size_t index, RevokedJtis& out) {
  const std::string where = "revoked[" + std::to_string(index) + "]";
  simdjson::dom::object entry;
  if (e.get_object().get(entry) != simdjson::SUCCESS) return Status::error(where + " is not an object");
  std::string_view jti;
  if (entry.at_key("jti").get_string().get(jti) != simdjson::SUCCESS || jti.empty())
    return Status::error(where + " has no \"jti\" string");
  simdjson::dom::element exp;
  if (entry.at_key("exp").get(exp) != simdjson::SUCCESS || !(exp.is_int64() || exp.is_uint64()))
    return Status::error(where + " has no integer \"exp\"");
  out.emplace(jti);
  return {};
}

}  // namespace

Status parse_revocation_list(std::string_view json, RevocationList& out) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(json.data(), json.size()).get_object().get(root) != simdjson::SUCCESS)
    return Status::error("not a JSON object");
  RevocationList list;
  if (root.at_key("version").get_uint64().get(list.version) != simdjson::SUCCESS)
    return Status::error("no unsigned integer \"version\"");
  simdjson::dom::array revoked;
  if (root.at_key("revoked").get_array().get(revoked) != simdjson::SUCCESS)
    return Status::error("no \"revoked\" array");
  list.jtis.reserve(revoked.size());
  size_t index = 0;
  for (simdjson::dom::element e : revoked) {
    if (Status s = parse_entry(e, index++, list.jtis); !s) return s;
  }
  out = std::move(list);
  return {};
}

}  // namespace postern::filters
