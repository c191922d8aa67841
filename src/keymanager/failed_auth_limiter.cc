#include "keymanager/failed_auth_limiter.h"

namespace postern::keymanager {

bool FailedAuthLimiter::allowed(std::string_view key, int64_t now) {
  prune(now);
  auto it = windows_.find(std::string(key));
  return it == windows_.end() || now - it->second.start >= window_ || it->second.failures < max_;
}

void FailedAuthLimiter::failed(std::string_view key, int64_t now) {
  Window& w = windows_[std::string(key)];
  if (now - w.start >= window_) w = Window{now, 0};
  ++w.failures;
}

void FailedAuthLimiter::prune(int64_t now) {
  // Bounded memory under a spray of client ids or addresses: drop ended windows once a window.
  if (now - last_prune_ < window_) return;
  last_prune_ = now;
  std::erase_if(windows_, [&](const auto& kv) { return now - kv.second.start >= window_; });
}

}  // namespace postern::keymanager
