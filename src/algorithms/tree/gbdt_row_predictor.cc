#include "gbdt_row_predictor.h"

#include <array>
#include <cmath>
#include <limits>

namespace kiln::algorithms::tree {
namespace {

constexpr size_t kStackFeatures = 256;

}  // namespace

std::unique_ptr<GbdtRowPredictor> GbdtRowPredictor::Make(const GbdtModel& model) {
  const std::vector<data::FieldInfo>& fields = model.info().schema.fields;
  std::unique_ptr<GbdtRowPredictor> out(new GbdtRowPredictor(model));
  for (const FeatureInfo& f : model.state().features) {
    Input in;
    in.field = fields.size();
    for (size_t k = 0; k < fields.size(); ++k) {
      if (fields[k].name == f.name) in.field = k;
    }
    if (in.field == fields.size() || fields[in.field].type != f.type) return nullptr;
    in.categorical = f.type == data::ColumnType::kCategorical;
    for (size_t c = 0; c < f.categories.size(); ++c)
      in.index.emplace(f.categories[c], static_cast<float>(c));
    out->inputs_.push_back(std::move(in));
  }
  return out;
}

int32_t GbdtRowPredictor::Predict(std::span<const double> numbers,
                                  std::span<const std::string_view> texts,
                                  std::span<double> scores) const {
  const size_t d = inputs_.size();
  std::array<float, kStackFeatures> stack;
  std::vector<float> heap;
  float* x = stack.data();
  if (d > kStackFeatures) {
    heap.resize(d);
    x = heap.data();
  }
  for (size_t j = 0; j < d; ++j) {
    const Input& in = inputs_[j];
    if (!in.categorical) {
      x[j] = static_cast<float>(numbers[in.field]);
      continue;
    }
    auto it = in.index.find(texts[in.field]);
    x[j] = it == in.index.end() ? std::numeric_limits<float>::quiet_NaN() : it->second;
  }
  model_.RowMargins(x, scores.data());
  return model_.objective().Transform(scores.data());
}

std::unique_ptr<ml::RowPredictor> GbdtModel::MakeRowPredictor() const {
  return GbdtRowPredictor::Make(*this);
}

}  // namespace kiln::algorithms::tree
