// The CSV that `kiln predict` writes: one line per input row, in input order.
//   classification: prediction (class text), then p_<class> per class (probabilities), or
//                   score_<class> for non-probabilistic models (binary: one column, the positive
//                   class's decision value)
//   regression:     prediction
//   clustering:     cluster (index), distance (to the cluster's centre)
// Numbers print as the shortest text that reads back as the same double. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "kiln/core/status.h"
#include "kiln/ml/predictions.h"
#include "kiln/ml/task.h"

namespace kiln::cli {

// The column names (unquoted).
std::vector<std::string> PredictionColumns(const ml::LabelInfo& label,
                                           const ml::Predictions& predictions);

// Checks that the predictions fit the label (width, class indices); an Internal error otherwise.
core::Status CheckPredictions(const ml::LabelInfo& label, const ml::Predictions& predictions);

// The header line (with '\n').
std::string PredictionHeader(const ml::LabelInfo& label, const ml::Predictions& predictions);

// Appends the lines for rows [begin, end) to `out`. CheckPredictions must have passed.
void AppendPredictionRows(const ml::LabelInfo& label, const ml::Predictions& predictions,
                          size_t begin, size_t end, std::string& out);

}  // namespace kiln::cli
