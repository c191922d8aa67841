#include "upstream/host_record.h"

namespace postern::upstream {

void HostRecord::publish(AddressList addresses) {
  auto set = std::make_shared<const AddressList>(std::move(addresses));
  std::lock_guard lock(mutex_);
  addresses_ = std::move(set);
  version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

std::shared_ptr<const AddressList> HostRecord::addresses(uint64_t& version) const {
  std::lock_guard lock(mutex_);
  version = version_.load(std::memory_order_relaxed);
  return addresses_;
}

}  // namespace postern::upstream
