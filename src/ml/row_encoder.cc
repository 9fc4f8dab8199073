#include "kiln/ml/row_encoder.h"

#include <algorithm>

#include "kiln/data/feature_hashing.h"

namespace kiln::ml {

using Kind = FeatureEncoder::Kind;

std::unique_ptr<RowEncoder> RowEncoder::Make(const FeatureEncoder& encoder,
                                             const std::vector<data::FieldInfo>& fields) {
  if (encoder.sparse()) return nullptr;
  std::unique_ptr<RowEncoder> out(new RowEncoder(encoder));
  size_t next_offset = 0;
  for (const FeatureEncoder::ColumnPlan& plan : encoder.columns()) {
    // Features must come out in ascending order, as Transform writes them.
    if (plan.offset < next_offset) return nullptr;
    next_offset = plan.offset + plan.width();
    Column c;
    c.plan = &plan;
    c.field = fields.size();
    for (size_t k = 0; k < fields.size(); ++k)
      if (fields[k].name == plan.name) c.field = k;
    if (c.field == fields.size()) return nullptr;
    const bool numeric_field = fields[c.field].type == data::ColumnType::kNumeric;
    if (numeric_field != (plan.kind == Kind::kNumeric)) return nullptr;
    if (plan.kind == Kind::kOneHot) {
      for (size_t k = 0; k < plan.categories.size(); ++k)
        c.index.emplace(plan.categories[k], static_cast<int32_t>(k));
    }
    out->columns_.push_back(std::move(c));
  }
  if (next_offset > encoder.num_features()) return nullptr;
  return out;
}

int32_t RowEncoder::CategoryIndex(const Column& c, std::string_view text) const {
  if (text.empty()) return -1;
  if (c.plan->kind == Kind::kHashed)
    return static_cast<int32_t>(data::HashFeature(c.plan->name, text, c.plan->buckets));
  auto it = c.index.find(text);
  return it == c.index.end() ? -1 : it->second;
}

void RowEncoder::EncodeDense(std::span<const double> numbers,
                             std::span<const std::string_view> texts, std::span<float> out) const {
  std::fill(out.begin(), out.end(), 0.0f);
  Encode(numbers, texts, [&](size_t j, float v) { out[j] = v; });
}

}  // namespace kiln::ml
