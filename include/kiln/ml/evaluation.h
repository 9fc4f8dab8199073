// Evaluation: every metric that fits a task, computed from a model's predictions and the true
// labels, as an ordered list (for tables) and as JSON (for --json and tracking).
//   binary: auc, logloss (if probabilistic), accuracy, precision, recall, f1
//   multiclass: accuracy, logloss (if probabilistic), f1_macro, f1_micro, f1_weighted,
//               precision_macro, recall_macro, (+ confusion matrix)
//   regression: rmse, mae, r2
//   clustering: inertia (Σ weight · squared distance to the assigned centre), mean_distance,
//               silhouette (EvaluateModel only: on a seeded sample of at most
//               kSilhouetteSample rows), adjusted_rand (when the data has a label column)
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kiln/core/context.h"
#include "kiln/core/result.h"
#include "kiln/data/dataset_view.h"
#include "kiln/ml/model.h"
#include "kiln/ml/predictions.h"
#include "kiln/ml/task.h"

namespace kiln::ml {

struct Evaluation {
  Task task = Task::kRegression;
  size_t rows = 0;
  std::vector<std::pair<std::string, double>> metrics;  // in display order
  std::vector<std::string> classes;                     // classification
  std::vector<std::vector<double>> confusion;           // classification: true x predicted

  double Get(std::string_view name) const;  // NaN if absent
  // {"auc": 0.98, ...}; NaN values become null.
  nlohmann::json ToJson() const;
  // A readable two-column table (and the confusion matrix for <= 20 classes).
  std::string ToTable() const;
};

// Encodes the view's labels with `label` and scores `predictions` against them. Uses the
// dataset's weights when present.
core::Result<Evaluation> Evaluate(const LabelInfo& label, const data::DatasetView& view,
                                  const Predictions& predictions);

// Evaluate, plus the metrics that need the model itself: a clustering model's (ClusterModel,
// clustering.h) silhouette on a sample of the rows drawn with ctx's seed.
core::Result<Evaluation> EvaluateModel(const Model& model, const data::DatasetView& view,
                                       const Predictions& predictions, core::Context& ctx);
inline constexpr size_t kSilhouetteSample = 10000;

}  // namespace kiln::ml
