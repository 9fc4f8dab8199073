// RewriteModelArray: a copy of a saved model file with one named array changed by `change` (and
// a valid checksum), for tests that check loaders refuse inconsistent contents.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "kiln/core/array_file.h"
#include "kiln/ml/model_io.h"

namespace kiln::algorithms {

// Writes PATH.ARRAY and returns that path.
template <typename T>
std::string RewriteModelArray(const std::string& path, const std::string& array,
                              const std::function<void(std::vector<T>&)>& change) {
  auto file =
      core::ArrayFileReader::Open(path, ml::kModelMagic, ml::kModelFormatVersion, "model file");
  EXPECT_TRUE(file.ok());
  core::ArrayFileWriter writer(ml::kModelMagic, ml::kModelFormatVersion);
  writer.meta() = (*file)->meta();
  // Every array stays alive (and in place: deques do not move their elements) until the write.
  std::deque<std::vector<int32_t>> i32;
  std::deque<std::vector<uint32_t>> u32;
  std::deque<std::vector<uint64_t>> u64;
  std::deque<std::vector<uint8_t>> u8;
  std::deque<std::vector<float>> f32;
  std::deque<std::vector<double>> f64;
  auto add = [&](auto& store, const std::string& name, auto tag) {
    using V = decltype(tag);
    auto a = (*file)->GetArray<V>(name);
    if (!a.ok()) return false;
    store.push_back(a->ToVector());
    if constexpr (std::is_same_v<V, T>) {
      if (name == array) change(store.back());
    }
    writer.AddArray(name, store.back());
    return true;
  };
  for (const std::string& name : (*file)->ArrayNames()) {
    (void)(add(i32, name, int32_t{}) || add(u32, name, uint32_t{}) || add(u64, name, uint64_t{}) ||
           add(u8, name, uint8_t{}) || add(f32, name, float{}) || add(f64, name, double{}));
  }
  const std::string out = path + "." + array;
  EXPECT_TRUE(writer.Write(out).ok());
  return out;
}

}  // namespace kiln::algorithms
