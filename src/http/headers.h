#pragma once
// Header model: views into the connection's read buffer, valid while the head is parsed.
#include <cstdint>
#include <string_view>
#include <vector>

namespace postern::http {

// Header names the gateway acts on, recognised once while parsing so later stages switch
// on a small integer instead of comparing strings again.
enum class HeaderKind : uint8_t {
  kOther,
  kHost,
  kContentLength,
  kTransferEncoding,
  kConnection,
  kExpect,
  kUpgrade,
  kHopByHop,  // TE, Trailer, Keep-Alive, Proxy-Connection, Proxy-Authenticate
  kXForwardedFor,
  kXForwardedProto,
  kXForwardedHost,
  kXRequestId,
  kTraceparent,  // W3C trace context: rewritten for the backend
  kTracestate,
};

HeaderKind classify_header(std::string_view name);

struct Header {
  std::string_view name;
  std::string_view value;  // leading/trailing whitespace already trimmed
  HeaderKind kind = HeaderKind::kOther;
};

using HeaderList = std::vector<Header>;  // reused per connection: capacity is kept

// First header named `name` (case-insensitive), or an empty view with found=false.
const Header* find_header(const HeaderList& headers, std::string_view name);

// Hop-by-hop headers (RFC 9110 §7.6.1) that a proxy must not forward: Connection,
// Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade,
// Proxy-Authenticate.
inline bool is_hop_by_hop(HeaderKind k) {
  return k == HeaderKind::kHopByHop || k == HeaderKind::kConnection || k == HeaderKind::kTransferEncoding ||
         k == HeaderKind::kUpgrade;
}

}  // namespace postern::http
