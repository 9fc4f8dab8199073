// GrowableBuffer<T>: an append-only buffer for large parse outputs. Backed by an anonymous
// mapping that grows with mremap, so growing never copies and never holds two copies at once
// (a std::vector briefly needs 3x its size while reallocating). Freeze() hands the storage to an
// Array<T> without copying. Not thread-safe; one writer.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

#include "kiln/core/array.h"

namespace kiln::core {

namespace internal {
// Owns an anonymous mapping; unmaps on destruction.
struct Mapping {
  void* addr = nullptr;
  size_t bytes = 0;
  ~Mapping() {
    if (addr != nullptr) ::munmap(addr, bytes);
  }
};
}  // namespace internal

template <typename T>
class GrowableBuffer {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  GrowableBuffer() = default;
  GrowableBuffer(const GrowableBuffer&) = delete;
  GrowableBuffer& operator=(const GrowableBuffer&) = delete;
  GrowableBuffer(GrowableBuffer&& other) noexcept { *this = std::move(other); }
  GrowableBuffer& operator=(GrowableBuffer&& other) noexcept {
    std::swap(map_, other.map_);
    std::swap(size_, other.size_);
    return *this;
  }

  size_t size() const { return size_; }
  size_t capacity() const { return map_ ? map_->bytes / sizeof(T) : 0; }
  T* data() { return map_ ? static_cast<T*>(map_->addr) : nullptr; }
  const T* data() const { return map_ ? static_cast<const T*>(map_->addr) : nullptr; }
  T& operator[](size_t i) { return data()[i]; }

  // Ensures room for `n` elements in total; returns false if the system refused the memory.
  bool Reserve(size_t n) {
    if (n <= capacity()) return true;
    size_t bytes = RoundUp(n * sizeof(T));
    if (!map_) {
      void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) return false;
      map_ = std::make_shared<internal::Mapping>();
      map_->addr = p;
      map_->bytes = bytes;
      return true;
    }
    void* p = ::mremap(map_->addr, map_->bytes, bytes, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) return false;
    map_->addr = p;
    map_->bytes = bytes;
    return true;
  }

  // Appends `count` elements; returns false on allocation failure. Grows by 1.5x.
  bool Append(const T* values, size_t count) {
    if (size_ + count > capacity() &&
        !Reserve(std::max(size_ + count, capacity() * 3 / 2 + 1024))) {
      return false;
    }
    std::memcpy(data() + size_, values, count * sizeof(T));
    size_ += count;
    return true;
  }
  bool PushBack(const T& value) { return Append(&value, 1); }
  // Grows the size by `count` uninitialised (zero-filled when new) elements; returns a pointer
  // to the first, or nullptr on allocation failure.
  T* Extend(size_t count) {
    if (size_ + count > capacity() &&
        !Reserve(std::max(size_ + count, capacity() * 3 / 2 + 1024))) {
      return nullptr;
    }
    T* out = data() + size_;
    size_ += count;
    return out;
  }

  // Moves the contents into an immutable Array. Releases pages beyond the used size.
  Array<T> Freeze() && {
    if (!map_) return Array<T>();
    const size_t used = RoundUp(std::max<size_t>(size_ * sizeof(T), 1));
    if (used < map_->bytes) {
      void* p = ::mremap(map_->addr, map_->bytes, used, 0);
      if (p != MAP_FAILED) map_->bytes = used;
    }
    Array<T> out(static_cast<const T*>(map_->addr), size_, map_);
    map_.reset();
    size_ = 0;
    return out;
  }

 private:
  static size_t RoundUp(size_t bytes) {
    constexpr size_t kPage = 4096;
    return (bytes + kPage - 1) / kPage * kPage;
  }
  std::shared_ptr<internal::Mapping> map_;
  size_t size_ = 0;
};

}  // namespace kiln::core
