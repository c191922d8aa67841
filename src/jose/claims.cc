#include "jose/claims.h"

#include <algorithm>
#include <cmath>

#include "core/strings.h"
#include "jose/json_util.h"

namespace postern::jose {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr int64_t kMaxNumericDate = int64_t{1} << 53;

// Outcome of reading one member: absent, read, or present with the wrong type.
enum class Read { kAbsent, kOk, kBad };

Read get_string(object obj, std::string_view name, std::optional<std::string>& out) {
  element e;
  if (obj.at_key(name).get(e) != simdjson::SUCCESS) return Read::kAbsent;
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) return Read::kBad;
  out = std::string(s);
  return Read::kOk;
}

// A string member of a nested WSO2 object; numbers are accepted as their text (ids).
bool nested_text(object obj, std::string_view name, std::string& out) {
  element e;
  if (obj.at_key(name).get(e) != simdjson::SUCCESS) return true;
  switch (e.type()) {
    case element_type::STRING: out = std::string(e.get_string().value_unsafe()); return true;
    case element_type::INT64: out = std::to_string(e.get_int64().value_unsafe()); return true;
    case element_type::UINT64: out = std::to_string(e.get_uint64().value_unsafe()); return true;
    case element_type::NULL_VALUE: return true;
    default: return false;
  }
}

Read get_numeric_date(object obj, std::string_view name, std::optional<int64_t>& out) {
  element e;
  if (obj.at_key(name).get(e) != simdjson::SUCCESS) return Read::kAbsent;
  int64_t v;
  switch (e.type()) {
    case element_type::INT64: v = e.get_int64().value_unsafe(); break;
    case element_type::UINT64: return Read::kBad;  // > INT64_MAX
    case element_type::DOUBLE: {
      double d = e.get_double().value_unsafe();
      if (!std::isfinite(d) || d < 0 || d > static_cast<double>(kMaxNumericDate)) return Read::kBad;
      v = static_cast<int64_t>(d);
      break;
    }
    default: return Read::kBad;
  }
  if (v < 0 || v > kMaxNumericDate) return Read::kBad;
  out = v;
  return Read::kOk;
}

void add_scope(std::vector<std::string>& scopes, std::string_view s) {
  if (s.empty()) return;
  if (std::find(scopes.begin(), scopes.end(), s) == scopes.end()) scopes.emplace_back(s);
}

void add_scope_list(std::vector<std::string>& scopes, std::string_view list) {
  size_t i = 0;
  while (i < list.size()) {
    size_t j = list.find(' ', i);
    if (j == std::string_view::npos) j = list.size();
    add_scope(scopes, list.substr(i, j - i));
    i = j + 1;
  }
}

}  // namespace

namespace detail {

JwtError parse_claims(object p, JwtClaims& c) {
  for (auto [name, field] : {std::pair{"iss", &c.iss},
                             {"sub", &c.sub},
                             {"jti", &c.jti},
                             {"keytype", &c.keytype},
                             {"consumerKey", &c.consumer_key},
                             {"azp", &c.azp},
                             {"client_id", &c.client_id}}) {
    if (get_string(p, name, *field) == Read::kBad) return JwtError::kMalformed;
  }
  for (auto [name, field] : {std::pair{"exp", &c.exp}, {"nbf", &c.nbf}, {"iat", &c.iat}}) {
    if (get_numeric_date(p, name, *field) == Read::kBad) return JwtError::kMalformed;
  }

  element e;
  if (p.at_key("aud").get(e) == simdjson::SUCCESS) {
    if (e.is_string()) {
      c.aud.emplace_back(e.get_string().value_unsafe());
    } else if (e.is_array()) {
      simdjson::dom::array arr = e.get_array().value_unsafe();
      for (element a : arr) {
        std::string_view s;
        if (a.get_string().get(s) != simdjson::SUCCESS) return JwtError::kMalformed;
        c.aud.emplace_back(s);
      }
    } else {
      return JwtError::kMalformed;
    }
  }

  if (p.at_key("scope").get(e) == simdjson::SUCCESS) {
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS) return JwtError::kMalformed;
    add_scope_list(c.scopes, s);
  }
  if (p.at_key("scp").get(e) == simdjson::SUCCESS) {
    if (e.is_string()) {
      add_scope_list(c.scopes, e.get_string().value_unsafe());
    } else if (e.is_array()) {
      simdjson::dom::array arr = e.get_array().value_unsafe();
      for (element a : arr) {
        std::string_view s;
        if (a.get_string().get(s) != simdjson::SUCCESS) return JwtError::kMalformed;
        add_scope(c.scopes, s);
      }
    } else {
      return JwtError::kMalformed;
    }
  }

  if (p.at_key("application").get(e) == simdjson::SUCCESS && !e.is_null()) {
    object app;
    if (e.get_object().get(app) != simdjson::SUCCESS) return JwtError::kMalformed;
    JwtApplication a;
    if (!nested_text(app, "id", a.id) || !nested_text(app, "name", a.name) || !nested_text(app, "tier", a.tier) ||
        !nested_text(app, "owner", a.owner)) {
      return JwtError::kMalformed;
    }
    c.application = std::move(a);
  }

  if (p.at_key("subscribedAPIs").get(e) == simdjson::SUCCESS) {
    simdjson::dom::array arr;
    if (e.get_array().get(arr) != simdjson::SUCCESS) return JwtError::kMalformed;
    c.has_subscribed_apis = true;
    for (element item : arr) {
      object o;
      if (item.get_object().get(o) != simdjson::SUCCESS) return JwtError::kMalformed;
      JwtSubscribedApi s;
      if (!nested_text(o, "name", s.name) || !nested_text(o, "context", s.context) ||
          !nested_text(o, "version", s.version) || !nested_text(o, "subscriptionTier", s.subscription_tier) ||
          !nested_text(o, "publisher", s.publisher)) {
        return JwtError::kMalformed;
      }
      c.subscribed_apis.push_back(std::move(s));
    }
  }

  if (p.at_key("allowedAPIs").get(e) == simdjson::SUCCESS) {
    simdjson::dom::array arr;
    if (e.get_array().get(arr) != simdjson::SUCCESS) return JwtError::kMalformed;
    c.has_allowed_apis = true;
    for (element item : arr) {
      JwtAllowedApi a;
      if (item.is_string()) {
        a.name = std::string(item.get_string().value_unsafe());
      } else if (item.is_object()) {
        object o = item.get_object().value_unsafe();
        if (!nested_text(o, "name", a.name) || !nested_text(o, "version", a.version)) {
          return JwtError::kMalformed;
        }
      } else {
        return JwtError::kMalformed;
      }
      c.allowed_apis.push_back(std::move(a));
    }
  }

  if (p.at_key("tierInfo").get(e) == simdjson::SUCCESS && !e.is_null()) {
    c.tier_info = simdjson::minify(e);
  }
  return JwtError::kNone;
}

}  // namespace detail

JwtError parse_claims_json(std::string_view json, JwtClaims& out) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  switch (detail::parse_strict_object(parser, json, false, obj)) {
    case detail::JsonStatus::kOk: break;
    case detail::JsonStatus::kDuplicate: return JwtError::kDuplicateMember;
    default: return JwtError::kMalformed;
  }
  out = JwtClaims{};
  if (JwtError e = detail::parse_claims(obj, out); e != JwtError::kNone) return e;
  out.payload_json = std::string(json);
  return JwtError::kNone;
}

std::optional<std::string> JwtClaims::claim_as_string(std::string_view name) const {
  simdjson::dom::parser parser;
  object root;
  if (detail::parse_strict_object(parser, payload_json, false, root) != detail::JsonStatus::kOk) {
    return std::nullopt;
  }
  element e;
  if (root.at_key(name).get(e) != simdjson::SUCCESS) return std::nullopt;
  switch (e.type()) {
    case element_type::NULL_VALUE: return std::nullopt;
    case element_type::STRING: return std::string(e.get_string().value_unsafe());
    default: return simdjson::minify(e);
  }
}

std::vector<std::string> JwtClaims::claim_as_strings(std::string_view name) const {
  std::vector<std::string> out;
  simdjson::dom::parser parser;
  object root;
  if (detail::parse_strict_object(parser, payload_json, false, root) != detail::JsonStatus::kOk) return out;
  element e;
  if (root.at_key(name).get(e) != simdjson::SUCCESS) return out;
  auto add = [&](std::string_view s) {
    if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.emplace_back(s);
  };
  if (e.type() == element_type::STRING) {
    std::string_view s = e.get_string().value_unsafe();
    while (!s.empty()) {
      size_t sp = s.find(' ');
      add(s.substr(0, sp));
      if (sp == std::string_view::npos) break;
      s.remove_prefix(sp + 1);
    }
  } else if (e.type() == element_type::ARRAY) {
    simdjson::dom::array arr;
    if (e.get_array().get(arr) == simdjson::SUCCESS) {
      for (element item : arr) {
        std::string_view s;
        if (item.get_string().get(s) == simdjson::SUCCESS) add(s);
      }
    }
  }
  return out;
}

JwtError validate_claims(const JwtClaims& c, const ClaimPolicy& policy, int64_t now) {
  if (!policy.issuer.empty() && (!c.iss || *c.iss != policy.issuer)) return JwtError::kBadIssuer;
  if (!policy.audiences.empty()) {
    bool match = std::any_of(c.aud.begin(), c.aud.end(), [&](const std::string& a) {
      return std::find(policy.audiences.begin(), policy.audiences.end(), a) != policy.audiences.end();
    });
    if (!match) return JwtError::kBadAudience;
  }
  // Claims are within [0, 2^53] (decode guarantees it), so clamping the leeway to a year
  // keeps every sum below far from overflow.
  int64_t leeway = std::clamp<int64_t>(policy.leeway_seconds, 0, 366 * 86400);
  if (!c.exp && policy.require_exp) return JwtError::kMissingExp;
  if (c.exp && now - leeway >= *c.exp) return JwtError::kExpired;
  if (c.nbf && now + leeway < *c.nbf) return JwtError::kNotYetValid;
  if (c.iat && *c.iat > now + leeway) return JwtError::kIatInFuture;
  if (policy.max_lifetime_seconds && c.exp) {
    int64_t start = c.iat ? *c.iat : now;
    if (*c.exp - start > *policy.max_lifetime_seconds) return JwtError::kLifetimeTooLong;
  }
  return JwtError::kNone;
}

}  // namespace postern::jose
