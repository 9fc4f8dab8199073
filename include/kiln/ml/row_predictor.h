// RowPredictor: scores rows one at a time straight from their values — the online-serving path,
// with no Dataset, Context or design matrix per request. A model that can offer one returns it
// from Model::MakeRowPredictor(); its answers are bit-for-bit those of Model::Predict on a
// Dataset holding the same row (numbers are rounded to float, as a Dataset stores them).
//
// A row is given by schema field index: numbers[k] for a numeric field k (NaN = missing) and
// texts[k] for a categorical field k ("" = missing); the entry of the other kind is ignored.
// Thread-safety: immutable; Predict is safe to call concurrently. Valid while its model lives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace kiln::ml {

class RowPredictor {
 public:
  virtual ~RowPredictor() = default;

  // Scores per row, as Predictions::width().
  virtual size_t width() const = 0;
  // Whether the scores are probabilities (Predictions::probabilistic).
  virtual bool probabilistic() const = 0;
  // Writes width() scores for one row; returns the predicted class index (classification) or -1
  // (regression).
  virtual int32_t Predict(std::span<const double> numbers, std::span<const std::string_view> texts,
                          std::span<double> scores) const = 0;
};

}  // namespace kiln::ml
