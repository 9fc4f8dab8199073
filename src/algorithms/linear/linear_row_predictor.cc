#include "linear_row_predictor.h"

namespace kiln::algorithms::linear {

std::unique_ptr<LinearRowPredictor> LinearRowPredictor::Make(const LinearModel& model) {
  auto encoder = ml::RowEncoder::Make(model.encoder(), model.info().schema.fields);
  if (encoder == nullptr) return nullptr;
  return std::unique_ptr<LinearRowPredictor>(new LinearRowPredictor(model, std::move(encoder)));
}

int32_t LinearRowPredictor::Predict(std::span<const double> numbers,
                                    std::span<const std::string_view> texts,
                                    std::span<double> scores) const {
  const size_t k = model_.outputs();
  const size_t d = model_.encoder().num_features();
  const double* w = model_.weights().data();
  double* z = scores.data();
  for (size_t c = 0; c < k; ++c) z[c] = 0.0;
  // z += w[j] * x for encoded feature j, in ascending j; zero weights are skipped as Multiply
  // skips them (and the zero features RowEncoder leaves out add nothing either).
  encoder_->Encode(numbers, texts, [&](size_t j, float x) {
    for (size_t c = 0; c < k; ++c) {
      const double wv = w[c * d + j];
      if (wv != 0.0) z[c] += wv * static_cast<double>(x);
    }
  });
  for (size_t c = 0; c < k; ++c) z[c] += model_.intercept()[c];
  return ApplyLink(model_.link(), z, k);
}

std::unique_ptr<ml::RowPredictor> LinearModel::MakeRowPredictor() const {
  return LinearRowPredictor::Make(*this);
}

}  // namespace kiln::algorithms::linear
