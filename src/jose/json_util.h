#pragma once
// Internal: strict JSON object parsing shared by the JWT decoder and the JWK loader.
#include <simdjson.h>

#include <string>
#include <string_view>

namespace postern::jose::detail {

// Nesting deeper than this is refused (bounds the recursive duplicate check too).
inline constexpr size_t kMaxJsonDepth = 32;

enum class JsonStatus { kOk, kInvalid, kDuplicate, kNotObject };

// Parses `json` as one JSON object whose objects, at every level, have unique member
// names (compared after unescaping, so "a" and "\u0061" collide). When `padded` is true the
// caller guarantees SIMDJSON_PADDING readable bytes after the text, so no copy is made.
// `out` points into `parser`: it lives until the parser is reused or destroyed.
// With `deep` false only the root object's own member names are checked (the caller
// checks nested objects itself, e.g. one JWKS key at a time).
JsonStatus parse_strict_object(simdjson::dom::parser& parser, std::string_view json, bool padded,
                               simdjson::dom::object& out, bool deep = true);

// True when `obj` or any object nested in it repeats a member name.
bool has_duplicate_members(simdjson::dom::object obj);

// Decodes base64url `b64` into `out` followed by simdjson::SIMDJSON_PADDING zero bytes that are
// not part of the returned length (so the text can be parsed without a copy). Returns the
// decoded length, or npos on bad base64url.
size_t base64url_decode_padded(std::string_view b64, std::string& out);

}  // namespace postern::jose::detail

#include "jose/claims.h"

namespace postern::jose::detail {
// Fills `out` (except payload_json) from a parsed payload; kMalformed on a claim of the
// wrong type.
JwtError parse_claims(simdjson::dom::object payload, JwtClaims& out);
}  // namespace postern::jose::detail
