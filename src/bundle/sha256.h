#pragma once
// SHA-256 as lower-case hex (OpenSSL EVP): the digest of every bundled file and of the
// manifest (the bundle's identity).
#include <string>
#include <string_view>

namespace postern::bundle {

std::string sha256_hex(std::string_view data);

}  // namespace postern::bundle
