#pragma once
// Resolves several host names at once and waits for every answer (load time: `postern
// validate` and each (re)load). Bounded by the channel's timeout and tries, not by the
// number of names, since the lookups run concurrently.
#include <cstdint>
#include <string>
#include <vector>

#include "dns/channel.h"

namespace postern::dns {

struct Name {
  std::string host;
  uint16_t port = 0;
};

// One answer per name, in order.
std::vector<Answer> resolve_all(Channel& channel, const std::vector<Name>& names);

}  // namespace postern::dns
