// RowFeatures: how a tree model's row scorer turns one request row (the schema's numbers and
// texts, see kiln/ml/row_predictor.h) into the trees' feature values — numbers rounded to float,
// categories looked up in per-feature tables built once (unknown ones are missing, NaN). Shared
// by the gbdt and random forest row predictors so both read rows exactly as their Predict does.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "feature_rows.h"
#include "kiln/data/dataset_view.h"
#include "kiln/data/schema.h"

namespace kiln::algorithms::tree {

class RowFeatures {
 public:
  // nullopt when a model feature is not a schema field of the same kind.
  static std::optional<RowFeatures> Make(const std::vector<data::FieldInfo>& fields,
                                         const std::vector<FeatureInfo>& features);

  size_t size() const { return inputs_.size(); }
  // Writes size() values into x.
  void Fill(std::span<const double> numbers, std::span<const std::string_view> texts,
            float* x) const;

 private:
  struct Input {
    size_t field = 0;  // schema field index
    bool categorical = false;
    std::unordered_map<std::string_view, float> index;  // category text -> index
  };
  std::vector<Input> inputs_;  // one per model feature
};

// A numeric label whose values are all 0 or 1 (both present): "auto" treats it as two classes.
bool IsZeroOneLabel(const data::DatasetView& view);

}  // namespace kiln::algorithms::tree
