// Schema: the shape of a dataset's features as a model remembers it — dense named columns with
// types, or sparse features with a column count and LibSVM index base — plus the label and weight
// column names. Stored in model files so that predict can read new data the same way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kiln/core/result.h"
#include "kiln/data/column.h"

namespace kiln::data {

struct FieldInfo {
  std::string name;
  ColumnType type = ColumnType::kNumeric;
};

struct Schema {
  bool sparse = false;
  uint32_t num_sparse_features = 0;  // sparse only
  int index_base = 1;                // sparse only: 0 or 1 (LibSVM indices as written in the file)
  std::vector<FieldInfo> fields;     // dense only, in file order (label/weight/ignored excluded)
  std::string label;                 // "" when none
  std::string weight;                // "" when none

  nlohmann::json ToJson() const;
  static core::Result<Schema> FromJson(const nlohmann::json& j);
};

}  // namespace kiln::data
