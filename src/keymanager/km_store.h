#pragma once
// Opens the store km.yaml names: "sqlite:///abs/path.db" or "postgresql://…".
#include <memory>
#include <string>

#include "keymanager/store.h"

namespace postern::keymanager {

// Throws StoreError when the store cannot be opened.
std::unique_ptr<Store> open_store(const std::string& url);

}  // namespace postern::keymanager
