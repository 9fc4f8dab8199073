// GbdtRowPredictor: the one-row scorer of a GbdtModel (see kiln/ml/row_predictor.h). Turns the
// row's values into the trees' feature values (RowFeatures) and sums the trees with
// GbdtModel::RowMargins, the code Predict uses, so the scores are bit-for-bit those of Predict.
#pragma once

#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "gbdt_model.h"
#include "kiln/ml/row_predictor.h"
#include "row_features.h"

namespace kiln::algorithms::tree {

class GbdtRowPredictor final : public ml::RowPredictor {
 public:
  // nullptr when a model feature is not a schema field of the same kind.
  static std::unique_ptr<GbdtRowPredictor> Make(const GbdtModel& model);

  size_t width() const override { return model_.outputs(); }
  bool probabilistic() const override { return true; }
  int32_t Predict(std::span<const double> numbers, std::span<const std::string_view> texts,
                  std::span<double> scores) const override;

 private:
  GbdtRowPredictor(const GbdtModel& model, RowFeatures features)
      : model_(model), features_(std::move(features)) {}

  const GbdtModel& model_;
  RowFeatures features_;
};

}  // namespace kiln::algorithms::tree
