#include <cstdio>
#include <memory>

#include "bundle/bundle.h"
#include "bundle/limits.h"

namespace postern::bundle {

Status read_bundle_file(const std::filesystem::path& file, std::string& bytes) {
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  if (ec) return Status::error(ec.message());
  if (size > kMaxBundleBytes) return Status::error("larger than the bundle limit");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!f) return Status::error("cannot be read");
  bytes.assign(size, '\0');
  if (std::fread(bytes.data(), 1, bytes.size(), f.get()) != bytes.size()) return Status::error("cannot be read");
  return {};
}

}  // namespace postern::bundle
