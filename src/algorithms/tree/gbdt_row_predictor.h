// GbdtRowPredictor: the one-row scorer of a GbdtModel (see kiln/ml/row_predictor.h). Turns the
// row's values into the trees' feature values — numbers rounded to float, categories looked up
// in per-feature tables built once — and sums the trees with GbdtModel::RowMargins, the code
// Predict uses, so the scores are bit-for-bit those of Predict.
#pragma once

#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gbdt_model.h"
#include "kiln/ml/row_predictor.h"

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
  struct Input {
    size_t field = 0;  // schema field index
    bool categorical = false;
    std::unordered_map<std::string_view, float> index;  // category text -> index
  };
  explicit GbdtRowPredictor(const GbdtModel& model) : model_(model) {}

  const GbdtModel& model_;
  std::vector<Input> inputs_;  // one per model feature
};

}  // namespace kiln::algorithms::tree
