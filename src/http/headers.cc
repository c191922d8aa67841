#include "http/headers.h"

#include "core/strings.h"

namespace postern::http {

const Header* find_header(const HeaderList& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return &h;
  }
  return nullptr;
}

bool is_hop_by_hop(std::string_view n) {
  switch (n.size()) {
    case 2: return iequals(n, "te");
    case 7: return iequals(n, "trailer") || iequals(n, "upgrade");
    case 10: return iequals(n, "connection") || iequals(n, "keep-alive");
    case 16: return iequals(n, "proxy-connection");
    case 17: return iequals(n, "transfer-encoding");
    case 19: return iequals(n, "proxy-authenticate");
    default: return false;
  }
}

}  // namespace postern::http
