#include "linear_row_predictor.h"

#include <cmath>

#include "kiln/data/feature_hashing.h"

namespace kiln::algorithms::linear {

using Kind = ml::FeatureEncoder::Kind;

std::unique_ptr<LinearRowPredictor> LinearRowPredictor::Make(const LinearModel& model) {
  const ml::FeatureEncoder& encoder = model.encoder();
  if (encoder.sparse()) return nullptr;
  const std::vector<data::FieldInfo>& fields = model.info().schema.fields;
  std::unique_ptr<LinearRowPredictor> out(new LinearRowPredictor(model));
  size_t next_offset = 0;
  for (const ml::FeatureEncoder::ColumnPlan& plan : encoder.columns()) {
    // Multiply adds features in ascending order; so must Predict.
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

int32_t LinearRowPredictor::CategoryIndex(const Column& c, std::string_view text) const {
  if (text.empty()) return -1;
  if (c.plan->kind == Kind::kHashed)
    return static_cast<int32_t>(data::HashFeature(c.plan->name, text, c.plan->buckets));
  auto it = c.index.find(text);
  return it == c.index.end() ? -1 : it->second;
}

int32_t LinearRowPredictor::Predict(std::span<const double> numbers,
                                    std::span<const std::string_view> texts,
                                    std::span<double> scores) const {
  const ml::FeatureEncoder& encoder = model_.encoder();
  const size_t k = model_.outputs();
  const size_t d = encoder.num_features();
  const double* w = model_.weights().data();
  double* z = scores.data();
  for (size_t c = 0; c < k; ++c) z[c] = 0.0;
  // z += w[j] * x for encoded feature j; zero weights are skipped as Multiply skips them.
  auto add = [&](size_t j, float x) {
    for (size_t c = 0; c < k; ++c) {
      const double wv = w[c * d + j];
      if (wv != 0.0) z[c] += wv * static_cast<double>(x);
    }
  };
  for (const Column& col : columns_) {
    const ml::FeatureEncoder::ColumnPlan& p = *col.plan;
    if (p.kind == Kind::kNumeric) {
      const auto v = static_cast<float>(numbers[col.field]);
      add(p.offset, encoder.EncodeNumeric(p, v));
      if (p.indicator && std::isnan(v)) add(p.offset + 1, 1.0f);
      continue;
    }
    const int32_t local = CategoryIndex(col, texts[col.field]);
    if (local >= 0) add(p.offset + static_cast<size_t>(local), 1.0f);
  }
  for (size_t c = 0; c < k; ++c) z[c] += model_.intercept()[c];
  return ApplyLink(model_.link(), z, k);
}

std::unique_ptr<ml::RowPredictor> LinearModel::MakeRowPredictor() const {
  return LinearRowPredictor::Make(*this);
}

}  // namespace kiln::algorithms::linear
