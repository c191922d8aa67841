#include "server/active_bundle.h"

#include <fmt/format.h>

#include "core/strings.h"

namespace postern::server {

std::string ActiveBundle::json() const {
  std::string out = fmt::format("{{\"sequence\":{},\"digest\":\"", sequence);
  append_json_escaped(out, digest);
  out += "\",\"signer_key_id\":\"";
  append_json_escaped(out, signer_key_id);
  out += "\",\"source\":\"";
  append_json_escaped(out, source);
  out += "\"}";
  return out;
}

}  // namespace postern::server
