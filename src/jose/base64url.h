#pragma once
// Strict base64url without padding (RFC 7515 §2, RFC 4648 §5), as JWS requires.
#include <string>
#include <string_view>

namespace postern::jose {

// Appends the unpadded base64url encoding of `in` to `out`.
void base64url_encode(std::string_view in, std::string& out);
std::string base64url_encode(std::string_view in);

// Decodes `in`, appending the bytes to `out`. Returns false (out unspecified) unless `in`
// is canonical unpadded base64url: only [A-Za-z0-9_-]; no '=', '+', '/' or whitespace;
// length % 4 != 1; and the unused low bits of the last character are zero, so every byte
// string has exactly one accepted encoding (no signature malleability through encoding).
bool base64url_decode(std::string_view in, std::string& out);

}  // namespace postern::jose
