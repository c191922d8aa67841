#pragma once
// Fixed-size byte buffers recycled per worker, so a request in flight does not allocate
// its I/O buffers and an idle connection holds none (docs/architecture.md "Memory").
// Worker thread only.
#include <cstddef>
#include <memory>
#include <vector>

namespace postern::upstream {

class BufferPool;

// A buffer taken from a pool, given back when it goes out of scope.
class PooledBuffer {
 public:
  PooledBuffer() = default;
  PooledBuffer(BufferPool* pool, std::unique_ptr<char[]> data, size_t size)
      : pool_(pool), data_(std::move(data)), size_(size) {}
  PooledBuffer(PooledBuffer&& o) noexcept = default;
  PooledBuffer& operator=(PooledBuffer&& o) noexcept {
    if (this != &o) {
      release();
      pool_ = o.pool_;
      data_ = std::move(o.data_);
      size_ = o.size_;
    }
    return *this;
  }
  ~PooledBuffer() { release(); }

  char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  explicit operator bool() const { return data_ != nullptr; }
  void release();

 private:
  BufferPool* pool_ = nullptr;
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
};

class BufferPool {
 public:
  BufferPool(size_t buffer_size, size_t max_free) : size_(buffer_size), max_free_(max_free) {}
  PooledBuffer take() {
    if (free_.empty()) return PooledBuffer(this, std::make_unique_for_overwrite<char[]>(size_), size_);
    auto b = std::move(free_.back());
    free_.pop_back();
    return PooledBuffer(this, std::move(b), size_);
  }
  // Buffers of another size are freed, not kept (the size changed with a reload).
  void give(std::unique_ptr<char[]> b, size_t size) {
    if (size == size_ && free_.size() < max_free_) free_.push_back(std::move(b));
  }
  // New buffers get this size from now on.
  void resize(size_t buffer_size) {
    if (buffer_size == size_) return;
    size_ = buffer_size;
    free_.clear();
  }
  size_t buffer_size() const { return size_; }
  size_t free_count() const { return free_.size(); }

 private:
  size_t size_;
  size_t max_free_;
  std::vector<std::unique_ptr<char[]>> free_;
};

inline void PooledBuffer::release() {
  if (data_ && pool_) pool_->give(std::move(data_), size_);
  data_.reset();
  pool_ = nullptr;
}

}  // namespace postern::upstream
