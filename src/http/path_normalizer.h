#pragma once
// The one path normalization (design.md "Security rules"): done once, before routing; the
// result is what is routed, forwarded, logged and used by every filter.
//
//  - percent-encoded unreserved characters (ALPHA DIGIT - . _ ~) are decoded; other
//    escapes are kept, with upper-case hex ("%2f" -> "%2F");
//  - "%2F" (an encoded '/') is rejected unless allowed: it would let "/a%2Fb" route as one
//    segment but reach a backend that decodes it as two. "%00" is always rejected;
//  - "." and ".." segments are removed (RFC 3986 §5.2.4), ".." never climbs above "/";
//  - runs of '/' collapse to one ("//a" -> "/a");
//  - bytes that are not valid in a path (controls, space, '\', '#', non-ASCII...) are rejected.
// The query string is not part of the input (split it off first) and is forwarded as is
// after a character check (query_is_valid).
#include <string>
#include <string_view>

namespace postern::http {

enum class PathError {
  kNone,
  kNotOriginForm,  // does not start with '/'
  kBadEscape,      // '%' not followed by two hex digits
  kEncodedSlash,   // %2F while not allowed
  kEncodedNul,     // %00
  kBadCharacter,   // a byte not allowed in a path
};

const char* path_error_text(PathError e);

// Normalizes `raw` (the path part of an origin-form request-target) into `out` (cleared
// first; its capacity is reused, so steady-state calls do not allocate).
PathError normalize_path(std::string_view raw, std::string& out, bool allow_encoded_slash);

// True when every byte of the query is a legal query character or a valid %XX escape.
bool query_is_valid(std::string_view query);

}  // namespace postern::http
