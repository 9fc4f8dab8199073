#include "model_common.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <vector>

#include <fmt/format.h>

#include "kiln/core/strings.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

Status CheckModelInput(const ml::Model& model, const data::Dataset& ds) {
  const data::Schema& schema = model.info().schema;
  if (schema.sparse) {
    if (!ds.is_sparse())
      return core::DataError("the model ({}) was trained on sparse features; the data is dense",
                             model.info().algorithm);
    return Status::Ok();
  }
  if (ds.is_sparse())
    return core::DataError("the model ({}) was trained on named columns; the data is sparse",
                           model.info().algorithm);
  std::vector<std::string> missing, mistyped;
  for (const data::FieldInfo& f : schema.fields) {
    const int i = ds.FindColumn(f.name);
    if (i < 0) {
      missing.push_back(f.name);
    } else if (ds.columns()[static_cast<size_t>(i)].type != f.type) {
      mistyped.push_back(
          fmt::format("'{}' is {} (the model expects {})", f.name,
                      data::ColumnTypeName(ds.columns()[static_cast<size_t>(i)].type),
                      data::ColumnTypeName(f.type)));
    }
  }
  if (!missing.empty())
    return core::DataError("the data lacks {} column(s) the model was trained on: {}",
                           missing.size(), core::Join(missing, ", "));
  if (!mistyped.empty())
    return core::DataError("column types differ: {}", core::Join(mistyped, "; "));
  return Status::Ok();
}

Result<ml::Predictions> PredictChecked(const ml::Model& model, const data::Dataset& ds,
                                       core::Context& ctx) {
  KILN_RETURN_IF_ERROR(CheckModelInput(model, ds));
  KILN_ASSIGN_OR_RETURN(ml::Predictions p, model.Predict(data::DatasetView(ds), ctx));
  if (p.rows != ds.num_rows())
    return core::Internal("{} returned {} predictions for {} rows", model.info().algorithm, p.rows,
                          ds.num_rows());
  return p;
}

Result<ml::Evaluation> EvaluateModel(const ml::Model& model, const data::Dataset& ds,
                                     core::Context& ctx) {
  if (model.info().label.is_transform())
    return core::InvalidArgument(
        "{} is a transform model: it has no predictions to evaluate (apply it with a "
        "'transform' step and evaluate the model trained on its output)",
        model.info().algorithm);
  if (ds.label() == nullptr && !model.info().label.is_clustering())
    return core::InvalidArgument("evaluating needs labels, but the data has no label column");
  KILN_ASSIGN_OR_RETURN(ml::Predictions p, PredictChecked(model, ds, ctx));
  return ml::EvaluateModel(model, data::DatasetView(ds), p, ctx);
}

std::map<std::string, double> MetricMap(const ml::Evaluation& evaluation) {
  std::map<std::string, double> out;
  for (const auto& [key, value] : evaluation.metrics) {
    if (std::isfinite(value)) out[key] = value;
  }
  return out;
}

std::string DefaultMetric(ml::Task task) {
  switch (task) {
    case ml::Task::kBinary:
      return "auc";
    case ml::Task::kMulticlass:
      return "accuracy";
    case ml::Task::kRegression:
      return "r2";
    case ml::Task::kClustering:
      return "silhouette";
    case ml::Task::kTransform:
      return "";
  }
  return "auc";
}

bool HigherIsBetter(const std::string& metric) {
  return !(metric == "logloss" || metric == "rmse" || metric == "mae" || metric == "mse" ||
           metric == "inertia" || metric.ends_with("_loss") || metric.ends_with("error"));
}

std::string NowIso() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string MetricsNote(const ml::Evaluation& evaluation) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : evaluation.metrics) {
    if (!std::isfinite(value)) continue;
    parts.push_back(fmt::format("{} {:.4f}", key, value));
    if (parts.size() == 3) break;
  }
  return core::Join(parts, ", ");
}

}  // namespace kiln::pipeline
