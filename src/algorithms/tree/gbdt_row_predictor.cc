#include "gbdt_row_predictor.h"

#include <array>
#include <cmath>
#include <limits>

namespace kiln::algorithms::tree {
namespace {

constexpr size_t kStackFeatures = 256;

}  // namespace

std::unique_ptr<GbdtRowPredictor> GbdtRowPredictor::Make(const GbdtModel& model) {
  std::optional<RowFeatures> features =
      RowFeatures::Make(model.info().schema.fields, model.state().features);
  if (!features) return nullptr;
  return std::unique_ptr<GbdtRowPredictor>(new GbdtRowPredictor(model, std::move(*features)));
}

int32_t GbdtRowPredictor::Predict(std::span<const double> numbers,
                                  std::span<const std::string_view> texts,
                                  std::span<double> scores) const {
  const size_t d = features_.size();
  std::array<float, kStackFeatures> stack;
  std::vector<float> heap;
  float* x = stack.data();
  if (d > kStackFeatures) {
    heap.resize(d);
    x = heap.data();
  }
  features_.Fill(numbers, texts, x);
  model_.RowMargins(x, scores.data());
  return model_.objective().Transform(scores.data());
}

std::unique_ptr<ml::RowPredictor> GbdtModel::MakeRowPredictor() const {
  return GbdtRowPredictor::Make(*this);
}

}  // namespace kiln::algorithms::tree
