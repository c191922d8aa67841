#pragma once
// Which configured listener each socket-activated socket belongs to. The match is by the
// socket's bound address (getsockname), exactly: "0.0.0.0:9090" in postern.yaml takes a
// socket bound to 0.0.0.0:9090, not one bound to [::]:9090 or 127.0.0.1:9090.
#include <string>
#include <vector>

#include "config/snapshot.h"
#include "net/socket_activation.h"

namespace postern::server {

// Fills `fds` with one entry per listener: the inherited socket bound to its address, or
// -1 when the gateway binds that listener itself. Every inherited socket must match a
// listener: a socket nobody accepts on would queue connections forever, so an unmatched
// one is an error naming its address and the configured ones.
bool match_inherited_listeners(const std::vector<config::Listener>& listeners,
                               const std::vector<net::InheritedSocket>& inherited, std::vector<int>& fds,
                               std::string& error);

}  // namespace postern::server
