#include "server/inherited_listeners.h"

namespace postern::server {

namespace {
std::string configured(const std::vector<config::Listener>& listeners) {
  std::string out;
  for (const auto& l : listeners) out += (out.empty() ? "" : ", ") + l.name + " " + l.address.text;
  return out;
}
}  // namespace

bool match_inherited_listeners(const std::vector<config::Listener>& listeners,
                               const std::vector<net::InheritedSocket>& inherited, std::vector<int>& fds,
                               std::string& error) {
  fds.assign(listeners.size(), -1);
  for (const auto& s : inherited) {
    bool matched = false;
    for (size_t i = 0; i < listeners.size() && !matched; ++i) {
      if (fds[i] < 0 && net::same_socket_address(listeners[i].address.storage, s.address)) {
        fds[i] = s.fd;
        matched = true;
      }
    }
    if (!matched) {
      error = "inherited socket " + s.text + " (fd " + std::to_string(s.fd) +
              ", socket activation) matches no listener address in postern.yaml (listeners: " +
              configured(listeners) + ")";
      return false;
    }
  }
  return true;
}

}  // namespace postern::server
