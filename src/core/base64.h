#pragma once
// Standard base64 (RFC 4648 §4) decoding, as HTTP Basic credentials use it. (JWS uses
// base64url: jose/base64url.h.)
#include <string>
#include <string_view>

namespace postern {

// Decodes `in` into `out` (cleared first). Padding is required when the length is not a
// multiple of 4; false on any other character, or data after padding.
bool base64_decode(std::string_view in, std::string& out);

}  // namespace postern
