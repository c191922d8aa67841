#include "http/headers.h"

#include "core/strings.h"

namespace postern::http {

const Header* find_header(const HeaderList& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return &h;
  }
  return nullptr;
}

HeaderKind classify_header(std::string_view n) {
  switch (n.size()) {
    case 2:
      if (iequals(n, "te")) return HeaderKind::kHopByHop;
      break;
    case 4:
      if (iequals(n, "host")) return HeaderKind::kHost;
      break;
    case 6:
      if (iequals(n, "expect")) return HeaderKind::kExpect;
      break;
    case 7:
      if (iequals(n, "upgrade")) return HeaderKind::kUpgrade;
      if (iequals(n, "trailer")) return HeaderKind::kHopByHop;
      break;
    case 10:
      if (iequals(n, "connection")) return HeaderKind::kConnection;
      if (iequals(n, "keep-alive")) return HeaderKind::kHopByHop;
      if (iequals(n, "tracestate")) return HeaderKind::kTracestate;
      break;
    case 11:
      if (iequals(n, "traceparent")) return HeaderKind::kTraceparent;
      break;
    case 12:
      if (iequals(n, "x-request-id")) return HeaderKind::kXRequestId;
      break;
    case 14:
      if (iequals(n, "content-length")) return HeaderKind::kContentLength;
      break;
    case 15:
      if (iequals(n, "x-forwarded-for")) return HeaderKind::kXForwardedFor;
      break;
    case 16:
      if (iequals(n, "x-forwarded-host")) return HeaderKind::kXForwardedHost;
      if (iequals(n, "proxy-connection")) return HeaderKind::kHopByHop;
      break;
    case 17:
      if (iequals(n, "transfer-encoding")) return HeaderKind::kTransferEncoding;
      if (iequals(n, "x-forwarded-proto")) return HeaderKind::kXForwardedProto;
      break;
    case 18:
      if (iequals(n, "proxy-authenticate")) return HeaderKind::kHopByHop;
      break;
    default: break;
  }
  return HeaderKind::kOther;
}

}  // namespace postern::http
