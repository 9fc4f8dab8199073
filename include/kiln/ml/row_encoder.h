// RowEncoder: encodes one row, given as RowPredictor values (numbers[k] / texts[k] by schema field
// index, see row_predictor.h), into the features a FeatureEncoder's Transform produces for that
// row — the first step every one-row scorer shares. Entries come in ascending feature order with
// the values Transform writes; a numeric feature that encodes to 0 is left out, as in Transform's
// CSR output (its dense output stores the 0), so a scorer that skips zeros sees the same row
// either way.
//
// Thread-safety: immutable; Encode is safe to call concurrently. Borrows the FeatureEncoder, which
// must outlive it.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kiln/data/schema.h"
#include "kiln/ml/feature_encoder.h"

namespace kiln::ml {

class RowEncoder {
 public:
  // nullptr when rows cannot be encoded this way: a sparse (LibSVM) encoder, or a plan column
  // that is not a schema field of the kind the plan expects.
  static std::unique_ptr<RowEncoder> Make(const FeatureEncoder& encoder,
                                          const std::vector<data::FieldInfo>& fields);

  const FeatureEncoder& encoder() const { return encoder_; }
  size_t num_features() const { return encoder_.num_features(); }

  // Calls emit(size_t j, float v) for the row's features in ascending order of j.
  template <typename F>
  void Encode(std::span<const double> numbers, std::span<const std::string_view> texts,
              F&& emit) const {
    using Kind = FeatureEncoder::Kind;
    for (const Column& col : columns_) {
      const FeatureEncoder::ColumnPlan& p = *col.plan;
      if (p.kind == Kind::kNumeric) {
        const auto v = static_cast<float>(numbers[col.field]);
        const float e = encoder_.EncodeNumeric(p, v);
        if (e != 0.0f) emit(p.offset, e);
        if (p.indicator && std::isnan(v)) emit(p.offset + 1, 1.0f);
        continue;
      }
      const int32_t local = CategoryIndex(col, texts[col.field]);
      if (local >= 0) emit(p.offset + static_cast<size_t>(local), 1.0f);
    }
  }

  // The row as num_features() floats (zeros included), as a dense Transform row.
  void EncodeDense(std::span<const double> numbers, std::span<const std::string_view> texts,
                   std::span<float> out) const;

 private:
  struct Column {
    const FeatureEncoder::ColumnPlan* plan = nullptr;
    size_t field = 0;                                     // schema field index
    std::unordered_map<std::string_view, int32_t> index;  // one-hot: category -> position
  };

  explicit RowEncoder(const FeatureEncoder& encoder) : encoder_(encoder) {}
  // Position of `text` within categorical column `c` (-1: unseen or missing).
  int32_t CategoryIndex(const Column& c, std::string_view text) const;

  const FeatureEncoder& encoder_;
  std::vector<Column> columns_;
};

// One encoded row as its nonzero features in ascending order: what the models that score sparse
// rows (naive Bayes' discrete variants, factorization machines, k-means on LibSVM data) read,
// filled the same way from a DesignMatrix row (Predict) or a RowEncoder (row predictors).
// Reused from row to row to keep its storage.
struct SparseRow {
  std::vector<uint32_t> features;
  std::vector<float> values;

  // Row i of x, zeros left out.
  void Assign(const DesignMatrix& x, size_t i) {
    Clear();
    x.ForEachInRow(i, [&](size_t j, float v) { Add(j, v); });
  }
  // The row of RowPredictor values, encoded.
  void Assign(const RowEncoder& encoder, std::span<const double> numbers,
              std::span<const std::string_view> texts) {
    Clear();
    encoder.Encode(numbers, texts, [&](size_t j, float v) { Add(j, v); });
  }

 private:
  void Clear() {
    features.clear();
    values.clear();
  }
  void Add(size_t j, float v) {
    if (v == 0.0f) return;
    features.push_back(static_cast<uint32_t>(j));
    values.push_back(v);
  }
};

}  // namespace kiln::ml
