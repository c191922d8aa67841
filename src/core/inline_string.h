#pragma once
// A short string stored inline (no heap): per-request identifiers such as the request id
// and trace context, so resetting per-request state by assignment frees nothing and the
// next request allocates nothing. Longer input is cut at N bytes (callers bound it first).
#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

namespace postern {

template <size_t N>
class InlineString {
 public:
  void assign(std::string_view s) {
    size_ = std::min(s.size(), N);
    std::copy_n(s.data(), size_, data_.data());
  }
  void clear() { size_ = 0; }
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  std::string_view view() const { return {data_.data(), size_}; }
  operator std::string_view() const { return view(); }

 private:
  std::array<char, N> data_;
  size_t size_ = 0;
};

}  // namespace postern
