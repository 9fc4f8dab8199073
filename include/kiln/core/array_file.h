// Array files: Kiln's self-describing binary container, used by model files and the dataset cache.
//
// Layout (little-endian):
//   [0, 8)    magic, e.g. "KILNMODL"
//   [8, 12)   u32 format version
//   [12, 16)  u32 reserved (0)
//   [16, 24)  u64 header size in bytes
//   [24, 32)  u64 total file size (detects truncation before anything else is read)
//   [32, 40)  u64 XXH3-64 checksum of bytes [48, total size)
//   [40, 48)  u64 reserved (0)
//   [48, ...) header: UTF-8 JSON {"meta": {...}, "arrays": [{"name","dtype","offset","count"}]}
//   then each array at a 64-byte aligned offset.
// A reader maps the file, checks size and checksum, parses the header, and hands out Arrays that
// point into the mapping (no copy). Writers write to a temporary file and rename it into place.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/core/array.h"
#include "kiln/core/file.h"
#include "kiln/core/result.h"

namespace kiln::core {

enum class DType : uint8_t { kU8, kI32, kU32, kI64, kU64, kF32, kF64 };
std::string_view DTypeName(DType t);
size_t DTypeSize(DType t);

template <typename T>
constexpr DType DTypeOf();
template <>
constexpr DType DTypeOf<uint8_t>() {
  return DType::kU8;
}
template <>
constexpr DType DTypeOf<int32_t>() {
  return DType::kI32;
}
template <>
constexpr DType DTypeOf<uint32_t>() {
  return DType::kU32;
}
template <>
constexpr DType DTypeOf<int64_t>() {
  return DType::kI64;
}
template <>
constexpr DType DTypeOf<uint64_t>() {
  return DType::kU64;
}
template <>
constexpr DType DTypeOf<float>() {
  return DType::kF32;
}
template <>
constexpr DType DTypeOf<double>() {
  return DType::kF64;
}

inline constexpr size_t kArrayFilePrefix = 48;
inline constexpr size_t kArrayFileAlign = 64;

// Collects metadata and arrays, then writes them in one go. The spans passed to AddArray must
// stay valid until Write returns (nothing is copied). Not thread-safe.
class ArrayFileWriter {
 public:
  ArrayFileWriter(std::string magic, uint32_t version);

  nlohmann::json& meta() { return meta_; }
  const nlohmann::json& meta() const { return meta_; }
  template <typename T>
  void AddArray(std::string name, std::span<const T> values) {
    arrays_.push_back({std::move(name), DTypeOf<T>(), values.data(), values.size()});
  }
  template <typename T>
  void AddArray(std::string name, const std::vector<T>& values) {
    AddArray(std::move(name), std::span<const T>(values));
  }
  template <typename T>
  void AddArray(std::string name, const Array<T>& values) {
    AddArray(std::move(name), values.span());
  }
  bool HasArray(std::string_view name) const;
  // Adds every array of `other` as `prefix` + its name (the same spans, which must stay valid
  // until Write): how a file made of several parts (a model of models) stores each part's arrays.
  // Its meta is the caller's to place.
  void AddArraysOf(const ArrayFileWriter& other, std::string_view prefix);

  Status Write(const std::string& path) const;

 private:
  struct Pending {
    std::string name;
    DType dtype;
    const void* data;
    size_t count;
  };
  std::string magic_;
  uint32_t version_;
  nlohmann::json meta_ = nlohmann::json::object();
  std::vector<Pending> arrays_;
};

// A verified, mapped array file. Thread-safe for reads.
class ArrayFileReader {
 public:
  // `what` names the kind of file in errors ("model file"). Fails with kCorrupt on a bad magic,
  // truncation or checksum mismatch, and kVersionMismatch when version > max_version.
  static Result<std::shared_ptr<ArrayFileReader>> Open(const std::string& path,
                                                       std::string_view magic, uint32_t max_version,
                                                       std::string_view what);

  uint32_t version() const { return version_; }
  const nlohmann::json& meta() const { return meta_; }
  const std::string& path() const { return file_->path(); }
  bool HasArray(std::string_view name) const;
  std::vector<std::string> ArrayNames() const;
  // A reader of one part of this file (see ArrayFileWriter::AddArraysOf): the arrays whose names
  // start with `prefix`, without it, and `meta` as its metadata. Shares this file's mapping.
  std::shared_ptr<ArrayFileReader> Nested(std::string_view prefix, nlohmann::json meta) const;

  // The named array, pointing into the mapping. Errors if missing or of another dtype.
  template <typename T>
  Result<Array<T>> GetArray(std::string_view name) const {
    KILN_ASSIGN_OR_RETURN(const Entry* e, Lookup(name, DTypeOf<T>()));
    return Array<T>(reinterpret_cast<const T*>(file_->data() + e->offset), e->count, file_);
  }

 private:
  struct Entry {
    std::string name;
    DType dtype;
    uint64_t offset;
    uint64_t count;
  };
  Result<const Entry*> Lookup(std::string_view name, DType dtype) const;

  std::shared_ptr<MappedFile> file_;
  uint32_t version_ = 0;
  nlohmann::json meta_;
  std::vector<Entry> entries_;
};

}  // namespace kiln::core
