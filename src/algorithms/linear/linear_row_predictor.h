// LinearRowPredictor: the one-row scorer of a LinearModel (see kiln/ml/row_predictor.h). Encodes
// the row's values with the model's FeatureEncoder plan (ml::RowEncoder) and adds up the weights
// in ascending feature order, as DesignMatrix::Multiply does, so the margins are bit-for-bit those
// of LinearModel::Predict.
#pragma once

#include <memory>

#include "kiln/ml/row_encoder.h"
#include "kiln/ml/row_predictor.h"
#include "linear_model.h"

namespace kiln::algorithms::linear {

class LinearRowPredictor final : public ml::RowPredictor {
 public:
  // nullptr when the model cannot score rows this way (see ml::RowEncoder::Make).
  static std::unique_ptr<LinearRowPredictor> Make(const LinearModel& model);

  size_t width() const override { return model_.outputs(); }
  bool probabilistic() const override { return model_.link() != Link::kDecision; }
  int32_t Predict(std::span<const double> numbers, std::span<const std::string_view> texts,
                  std::span<double> scores) const override;

 private:
  LinearRowPredictor(const LinearModel& model, std::unique_ptr<ml::RowEncoder> encoder)
      : model_(model), encoder_(std::move(encoder)) {}

  const LinearModel& model_;
  std::unique_ptr<ml::RowEncoder> encoder_;
};

}  // namespace kiln::algorithms::linear
