#include "jose/key_set.h"

#include "core/strings.h"
#include "jose/json_util.h"
#include "jose/key_internal.h"

namespace postern::jose {

Status KeySet::parse_jwks(std::string_view json, KeySet& out, std::vector<std::string>& skipped) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  switch (detail::parse_strict_object(parser, json, false, root, /*deep=*/false)) {
    case detail::JsonStatus::kOk: break;
    case detail::JsonStatus::kDuplicate: return Status::error("JWKS has a duplicate member");
    default: return Status::error("JWKS is not a JSON object");
  }
  simdjson::dom::array keys;
  if (root.at_key("keys").get_array().get(keys) != simdjson::SUCCESS) {
    return Status::error("JWKS has no \"keys\" array");
  }
  KeySet set;
  size_t index = 0;
  for (simdjson::dom::element e : keys) {
    std::string where = "key " + std::to_string(index++);
    simdjson::dom::object obj;
    if (e.get_object().get(obj) != simdjson::SUCCESS) {
      skipped.push_back(where + ": not a JSON object");
      continue;
    }
    std::string_view kid;
    if (obj.at_key("kid").get_string().get(kid) == simdjson::SUCCESS && kid.size() <= 256) {
      where += " (kid \"";
      append_json_escaped(where, kid);  // IdP-supplied text headed for a log line
      where += "\")";
    }
    if (set.keys_.size() >= kMaxKeys) {
      skipped.push_back(where + ": more than 64 keys");
      continue;
    }
    Key key;
    if (Status st = detail::key_from_jwk_object(obj, key); !st) {
      skipped.push_back(where + ": " + st.message());
      continue;
    }
    set.keys_.push_back(std::move(key));
  }
  out = std::move(set);
  return {};
}

const Key* KeySet::find(std::string_view kid) const {
  for (const Key& k : keys_) {
    if (k.kid() == kid) return &k;
  }
  return nullptr;
}

void KeySet::candidates(std::optional<std::string_view> kid, Alg alg, std::vector<const Key*>& out) const {
  size_t start = out.size();
  auto take = [&](auto pred) {
    for (const Key& k : keys_) {
      if (pred(k) && k.can_verify(alg)) out.push_back(&k);
    }
  };
  if (kid) {
    take([&](const Key& k) { return k.kid() == *kid; });
    if (out.size() == start && !find(*kid)) take([](const Key& k) { return k.kid().empty(); });
  } else {
    take([](const Key& k) { return k.kid().empty(); });
    if (out.size() == start) take([](const Key&) { return true; });
  }
}

}  // namespace postern::jose
