#pragma once
#include <cstdint>

namespace postern::upstream {

// Why a request did not reach (or was not answered by) an upstream. One counter each.
enum class UpstreamError : uint8_t {
  kConnectFailed,    // refused/unreachable/TLS handshake failed -> 502
  kConnectTimeout,   // -> 504
  kResponseTimeout,  // -> 504
  kReset,            // connection lost mid-exchange -> 502
  kBadResponse,      // unparsable response -> 502
  kUnresolved,       // every endpoint is a host name that has not resolved yet -> 503
  kCount
};

}  // namespace postern::upstream
