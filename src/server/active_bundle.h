#pragma once
// The signed bundle a gateway serves, when it serves one (`postern run BUNDLE` or a control
// plane): reported at /ready, /config and in metrics so an operator sees which content is
// in force on every node.
#include <cstdint>
#include <string>

namespace postern::server {

struct ActiveBundle {
  uint64_t sequence = 0;
  std::string digest;         // sha256 hex of the bundle's MANIFEST
  std::string signer_key_id;  // sha256 hex of the signer's public key
  std::string source;         // the bundle file, or the control plane's URL

  // {"sequence":N,"digest":"…","signer_key_id":"…","source":"…"}
  std::string json() const;
};

}  // namespace postern::server
