#include "dns/resolve_all.h"

namespace postern::dns {

std::vector<Answer> resolve_all(Channel& channel, const std::vector<Name>& names) {
  std::vector<Answer> answers(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    channel.resolve(names[i].host, names[i].port, [&answers, i](Answer a) { answers[i] = std::move(a); });
  }
  // c-ares fails every lookup after its tries, so this ends; the deadline only bounds one wait.
  while (channel.pending() > 0) channel.poll_once(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  return answers;
}

}  // namespace postern::dns
