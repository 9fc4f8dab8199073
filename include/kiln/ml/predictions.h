// Predictions: what a model returns for a batch of rows.
#pragma once

#include <cstdint>
#include <vector>

#include "kiln/ml/task.h"

namespace kiln::ml {

struct Predictions {
  Task task = Task::kRegression;
  size_t rows = 0;
  // Scores per row, row-major rows x width():
  //   binary: 1 column, P(positive class) (or a decision value when !probabilistic)
  //   multiclass: K columns, class probabilities (or decision values when !probabilistic)
  //   regression: 1 column, the predicted value
  std::vector<double> scores;
  // Classification: predicted class index per row. Empty for regression.
  std::vector<int32_t> classes;
  bool probabilistic = true;

  size_t width() const { return rows == 0 ? 0 : scores.size() / rows; }
  double score(size_t row, size_t k = 0) const { return scores[row * width() + k]; }
};

}  // namespace kiln::ml
