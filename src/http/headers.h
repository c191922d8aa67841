#pragma once
// Header model: views into the connection's read buffer, valid while the head is parsed.
#include <string_view>
#include <vector>

namespace postern::http {

struct Header {
  std::string_view name;
  std::string_view value;  // leading/trailing whitespace already trimmed
};

using HeaderList = std::vector<Header>;  // reused per connection: capacity is kept

// First header named `name` (case-insensitive), or an empty view with found=false.
const Header* find_header(const HeaderList& headers, std::string_view name);

// Hop-by-hop headers (RFC 9110 §7.6.1) that a proxy must not forward, plus the ones the
// gateway rebuilds itself (framing and forwarding headers).
bool is_hop_by_hop(std::string_view name);

}  // namespace postern::http
