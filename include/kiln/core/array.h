// Array<T>: an immutable, shared, contiguous buffer of trivially copyable T.
//
// The bytes live in a std::vector, an anonymous mapping (GrowableBuffer) or a memory-mapped file
// (a model or dataset cache loaded without copying); `owner` keeps that storage alive. Copies
// share the storage. Thread-safe for concurrent reads (it is never written after construction).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

namespace kiln::core {

template <typename T>
class Array {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  Array() = default;
  // Takes ownership of the vector's storage.
  explicit Array(std::vector<T> values) {
    auto holder = std::make_shared<std::vector<T>>(std::move(values));
    data_ = holder->data();
    size_ = holder->size();
    owner_ = std::move(holder);
  }
  // A view of `size` elements at `data` kept alive by `owner`.
  Array(const T* data, size_t size, std::shared_ptr<const void> owner)
      : owner_(std::move(owner)), data_(data), size_(size) {}

  const T* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](size_t i) const { return data_[i]; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  std::span<const T> span() const { return {data_, size_}; }
  // Elements [offset, offset + count) sharing this array's storage.
  Array Slice(size_t offset, size_t count) const { return Array(data_ + offset, count, owner_); }
  const std::shared_ptr<const void>& owner() const { return owner_; }
  std::vector<T> ToVector() const { return std::vector<T>(begin(), end()); }

 private:
  std::shared_ptr<const void> owner_;
  const T* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace kiln::core
