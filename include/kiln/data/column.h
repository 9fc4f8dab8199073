// Column: one dense column of a Dataset — numeric (float, NaN = missing) or categorical (int32
// codes, -1 = missing, into a dictionary of texts). Immutable once built; thread-safe reads.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/core/array.h"

namespace kiln::data {

enum class ColumnType : uint8_t { kNumeric, kCategorical };
std::string_view ColumnTypeName(ColumnType type);

inline constexpr int32_t kMissingCode = -1;

struct Column {
  std::string name;
  ColumnType type = ColumnType::kNumeric;
  core::Array<float> values;            // kNumeric: one per row, NaN = missing
  core::Array<int32_t> codes;           // kCategorical: one per row, kMissingCode = missing
  std::vector<std::string> categories;  // kCategorical: code -> text, in order of first appearance

  size_t size() const { return type == ColumnType::kNumeric ? values.size() : codes.size(); }
  bool IsMissing(size_t row) const {
    return type == ColumnType::kNumeric ? std::isnan(values[row]) : codes[row] < 0;
  }
  // Code of `text` in `categories`, or kMissingCode. Linear scan: for small dictionaries and
  // error paths; build a map for hot loops.
  int32_t FindCategory(std::string_view text) const;
  // The value as text ("3.5", "Yes", "" when missing); for messages and predictions output.
  std::string ValueText(size_t row) const;

  static Column Numeric(std::string name, std::vector<float> values);
  static Column Categorical(std::string name, std::vector<int32_t> codes,
                            std::vector<std::string> categories);
};

}  // namespace kiln::data
