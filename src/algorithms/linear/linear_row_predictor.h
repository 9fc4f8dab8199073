// LinearRowPredictor: the one-row scorer of a LinearModel (see kiln/ml/row_predictor.h). Encodes
// the row's values with the model's FeatureEncoder plan — standardize and impute numbers, look
// categories up in per-column tables built once — and adds up the weights in the order
// DesignMatrix::Multiply does, so the margins are bit-for-bit those of LinearModel::Predict.
#pragma once

#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kiln/ml/row_predictor.h"
#include "linear_model.h"

namespace kiln::algorithms::linear {

class LinearRowPredictor final : public ml::RowPredictor {
 public:
  // nullptr when the model cannot score rows this way: a sparse (LibSVM) encoder, or a plan
  // column that is not a schema field of the kind the plan expects.
  static std::unique_ptr<LinearRowPredictor> Make(const LinearModel& model);

  size_t width() const override { return model_.outputs(); }
  bool probabilistic() const override { return model_.link() != Link::kDecision; }
  int32_t Predict(std::span<const double> numbers, std::span<const std::string_view> texts,
                  std::span<double> scores) const override;

 private:
  struct Column {
    const ml::FeatureEncoder::ColumnPlan* plan = nullptr;
    size_t field = 0;                                     // schema field index
    std::unordered_map<std::string_view, int32_t> index;  // one-hot: category -> position
  };

  explicit LinearRowPredictor(const LinearModel& model) : model_(model) {}
  // Encoded position of `text` within categorical column `c` (-1: unseen or missing).
  int32_t CategoryIndex(const Column& c, std::string_view text) const;

  const LinearModel& model_;
  std::vector<Column> columns_;
};

}  // namespace kiln::algorithms::linear
