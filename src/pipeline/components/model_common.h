// What the model components share: checking that a dataset has the columns a model needs,
// predicting with the result's shape checked, the metric a comparison ranks by, and the ISO time
// a model records. Private to src/pipeline.
#pragma once

#include <map>
#include <string>

#include "kiln/core/context.h"
#include "kiln/core/result.h"
#include "kiln/data/dataset.h"
#include "kiln/ml/evaluation.h"
#include "kiln/ml/model.h"
#include "kiln/ml/predictions.h"

namespace kiln::pipeline {

// kDataError naming the columns the model needs and the data lacks (or has with another type).
core::Status CheckModelInput(const ml::Model& model, const data::Dataset& ds);
// CheckModelInput, then Predict over every row with the shape checked.
core::Result<ml::Predictions> PredictChecked(const ml::Model& model, const data::Dataset& ds,
                                             core::Context& ctx);
// Predicts and evaluates against the dataset's labels.
core::Result<ml::Evaluation> EvaluateModel(const ml::Model& model, const data::Dataset& ds,
                                           core::Context& ctx);
// Finite metrics by name.
std::map<std::string, double> MetricMap(const ml::Evaluation& evaluation);
// "auc" (binary), "accuracy" (multiclass), "r2" (regression).
std::string DefaultMetric(ml::Task task);
// Whether a larger value of `metric` is better (false for logloss, rmse, mae, ...).
bool HigherIsBetter(const std::string& metric);
// "2026-12-07T12:00:00Z" now.
std::string NowIso();
// "auc 0.8574, accuracy 0.8012" — the first few metrics, for a step's note.
std::string MetricsNote(const ml::Evaluation& evaluation);

}  // namespace kiln::pipeline
