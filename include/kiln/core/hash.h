// Hashing with xxHash (XXH3, 64-bit): feature hashing, content addresses, file checksums.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace kiln::core {

uint64_t Hash64(const void* data, size_t size, uint64_t seed = 0);
inline uint64_t Hash64(std::string_view text, uint64_t seed = 0) {
  return Hash64(text.data(), text.size(), seed);
}
// 16 lowercase hex digits.
std::string HexDigest(uint64_t hash);

// Incremental XXH3-64 over several buffers. Not thread-safe.
class Hasher {
 public:
  explicit Hasher(uint64_t seed = 0);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void Update(const void* data, size_t size);
  void Update(std::string_view text) { Update(text.data(), text.size()); }
  template <typename T>
  void UpdateValue(const T& value) {
    Update(&value, sizeof(T));
  }
  uint64_t Digest() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace kiln::core
