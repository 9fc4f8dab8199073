#include "row_features.h"

#include <limits>

#include "kiln/data/dataset.h"

namespace kiln::algorithms::tree {

std::optional<RowFeatures> RowFeatures::Make(const std::vector<data::FieldInfo>& fields,
                                             const std::vector<FeatureInfo>& features) {
  RowFeatures out;
  for (const FeatureInfo& f : features) {
    Input in;
    in.field = fields.size();
    for (size_t k = 0; k < fields.size(); ++k) {
      if (fields[k].name == f.name) in.field = k;
    }
    if (in.field == fields.size() || fields[in.field].type != f.type) return std::nullopt;
    in.categorical = f.type == data::ColumnType::kCategorical;
    for (size_t c = 0; c < f.categories.size(); ++c)
      in.index.emplace(f.categories[c], static_cast<float>(c));
    out.inputs_.push_back(std::move(in));
  }
  return out;
}

void RowFeatures::Fill(std::span<const double> numbers, std::span<const std::string_view> texts,
                       float* x) const {
  for (size_t j = 0; j < inputs_.size(); ++j) {
    const Input& in = inputs_[j];
    if (!in.categorical) {
      x[j] = static_cast<float>(numbers[in.field]);
      continue;
    }
    auto it = in.index.find(texts[in.field]);
    x[j] = it == in.index.end() ? std::numeric_limits<float>::quiet_NaN() : it->second;
  }
}

bool IsZeroOneLabel(const data::DatasetView& view) {
  const data::Column* label = view.dataset().label();
  if (label == nullptr || label->type != data::ColumnType::kNumeric) return false;
  bool zero = false, one = false;
  for (size_t i = 0; i < view.size(); ++i) {
    const float v = label->values[view.row(i)];
    if (v == 0) {
      zero = true;
    } else if (v == 1) {
      one = true;
    } else {
      return false;
    }
  }
  return zero && one;
}

}  // namespace kiln::algorithms::tree
