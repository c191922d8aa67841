#include "jose/jwt.h"

#include "core/strings.h"
#include "jose/base64url.h"
#include "jose/json_util.h"

namespace postern::jose {
namespace {

JwtError from_json_status(detail::JsonStatus s) {
  switch (s) {
    case detail::JsonStatus::kOk: return JwtError::kNone;
    case detail::JsonStatus::kDuplicate: return JwtError::kDuplicateMember;
    default: return JwtError::kMalformed;
  }
}

JwtError parse_header(simdjson::dom::object h, const DecodeLimits& limits, JwtHeader& out) {
  simdjson::dom::element e;
  std::string_view alg;
  if (h.at_key("alg").get(e) != simdjson::SUCCESS || e.get_string().get(alg) != simdjson::SUCCESS) {
    return JwtError::kUnsupportedAlg;
  }
  if (iequals(alg, "none")) return JwtError::kAlgNone;
  std::optional<Alg> a = alg_from_name(alg);
  if (!a) return JwtError::kUnsupportedAlg;
  out.alg = *a;
  // RFC 7515 §4.1.11: we implement no extension, so any crit (even an empty or malformed
  // one) means a header we cannot honour.
  if (h.at_key("crit").error() == simdjson::SUCCESS) return JwtError::kCritUnsupported;
  std::string_view s;
  if (h.at_key("kid").get(e) == simdjson::SUCCESS) {
    if (e.get_string().get(s) != simdjson::SUCCESS || s.size() > limits.max_kid_bytes) {
      return JwtError::kMalformed;
    }
    out.kid = std::string(s);
  }
  if (h.at_key("typ").get(e) == simdjson::SUCCESS) {
    if (e.get_string().get(s) != simdjson::SUCCESS) return JwtError::kMalformed;
    out.typ = std::string(s);
  }
  return JwtError::kNone;
}

}  // namespace

JwtError decode(std::string_view token, const DecodeLimits& limits, DecodedJwt& out) {
  if (token.size() > limits.max_token_bytes) return JwtError::kTooLarge;
  size_t dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return JwtError::kMalformed;
  size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return JwtError::kMalformed;
  }
  std::string_view h64 = token.substr(0, dot1);
  std::string_view p64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string_view s64 = token.substr(dot2 + 1);
  if (h64.empty() || p64.empty() || s64.empty()) return JwtError::kMalformed;

  out = DecodedJwt{};
  simdjson::dom::parser parser;
  std::string buf;  // decoded JSON plus simdjson padding, reused for header then payload
  size_t len = detail::base64url_decode_padded(h64, buf);
  if (len == std::string::npos) return JwtError::kMalformed;
  simdjson::dom::object obj;
  if (JwtError e = from_json_status(detail::parse_strict_object(parser, {buf.data(), len}, true, obj));
      e != JwtError::kNone) {
    return e;
  }
  if (JwtError e = parse_header(obj, limits, out.header); e != JwtError::kNone) return e;

  len = detail::base64url_decode_padded(p64, buf);
  if (len == std::string::npos) return JwtError::kMalformed;
  if (JwtError e = from_json_status(detail::parse_strict_object(parser, {buf.data(), len}, true, obj));
      e != JwtError::kNone) {
    return e;
  }
  if (JwtError e = detail::parse_claims(obj, out.claims); e != JwtError::kNone) return e;
  buf.resize(len);
  out.claims.payload_json = std::move(buf);

  if (!base64url_decode(s64, out.signature)) return JwtError::kMalformed;
  out.signing_input = token.substr(0, dot2);
  return JwtError::kNone;
}

}  // namespace postern::jose
