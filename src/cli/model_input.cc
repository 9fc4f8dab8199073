#include "model_input.h"

#include "kiln/cli/format.h"
#include "kiln/cli/predictions_csv.h"
#include "kiln/cli/schema_check.h"
#include "kiln/core/strings.h"
#include "kiln/data/dataset_view.h"
#include "kiln/ml/model_io.h"

namespace kiln::cli {

core::Result<std::unique_ptr<ml::Model>> LoadModelFile(const std::string& path, Session& session) {
  KILN_RETURN_IF_ERROR(CheckInputFile("--model", path));
  KILN_ASSIGN_OR_RETURN(const ml::AlgorithmRegistry* registry, session.Registry());
  return ml::LoadModel(path, *registry);
}

core::Result<data::Dataset> ReadDataForModel(const ml::ModelInfo& info,
                                             const ModelDataRequest& request, const RunOptions& run,
                                             Session& session, core::Context& ctx) {
  KILN_RETURN_IF_ERROR(CheckInputFile("--data", request.path));
  data::LabelPolicy policy = request.label_policy;
  // A clustering model trained without a label reads none unless one is asked for: a column
  // named 'label' may be one of its features.
  if (ml::LearnsWithoutLabel(info.label.task) && info.label.name.empty() && request.label.empty()) {
    policy = data::LabelPolicy::kNone;
  }
  data::ReadOptions options = ReadOptionsForModel(info, request.label, policy);
  options.weight = request.weight;
  const nlohmann::json& extra = info.training.extra;
  if (extra.is_object() && extra.contains(kReadOptionsKey)) {
    core::Status recorded = ApplyRecordedReadOptions(extra[kReadOptionsKey], request.path, options);
    if (!recorded.ok()) {
      session.logger().Warn("{}; reading {} with the default options", recorded.ToString(),
                            request.path);
    }
  }
  // Predictions do not need the training weights; a test file that has them is no surprise.
  if (request.label_policy == data::LabelPolicy::kOptional && !info.schema.weight.empty()) {
    options.ignore_if_present.push_back(info.schema.weight);
  }
  KILN_RETURN_IF_ERROR(ApplyReadFlags(run.read, options));
  KILN_ASSIGN_OR_RETURN(data::Dataset dataset, session.ReadData(request.path, options, ctx));
  KILN_ASSIGN_OR_RETURN(InputCheck check, CheckInputSchema(info.schema, dataset, request.path));
  for (const auto& warning : check.warnings) session.logger().Warn("{}", warning);
  if (!check.unused_columns.empty()) {
    std::string hint;
    const std::string& weight = info.schema.weight;
    for (const auto& c : check.unused_columns) {
      if (!weight.empty() && c == weight && request.weight.empty() &&
          request.label_policy == data::LabelPolicy::kRequired) {
        hint = fmt::format(
            " ('{}' was the training weight column; pass --weight {} to weight "
            "the metrics by it)",
            weight, weight);
      }
    }
    session.logger().Warn("{}: ignoring {} the model does not use: {}{}", request.path,
                          Plural(check.unused_columns.size(), "column"),
                          ListPreview(check.unused_columns), hint);
  }
  return dataset;
}

std::string DescribeTask(const ml::LabelInfo& label) {
  if (label.is_transform()) {
    return fmt::format("transform (no label{})",
                       label.name.empty()
                           ? ""
                           : fmt::format("; '{}' is kept out and carried through", label.name));
  }
  if (label.is_clustering()) {
    return fmt::format(
        "clustering into {}{}", Plural(label.clusters, "cluster"),
        label.name.empty() ? "" : fmt::format(" ('{}' kept out of the features)", label.name));
  }
  if (!label.is_classification()) return fmt::format("regression of '{}'", label.name);
  return fmt::format("{} classification of '{}' ({}: {})", ml::TaskName(label.task), label.name,
                     Plural(label.num_classes(), "class", "classes"),
                     ListPreview(label.classes, 20));
}

core::Result<ml::Predictions> PredictAll(const ml::Model& model, const data::Dataset& data,
                                         core::Context& ctx) {
  if (model.info().label.is_transform()) {
    return core::InvalidArgument(
        "{} is a transform model: it makes features, not predictions; write them with 'kiln "
        "transform --model MODEL --data FILE -o OUTPUT' and train a model on the output",
        model.info().algorithm);
  }
  auto predictions = model.Predict(data::DatasetView(data), ctx);
  if (!predictions.ok()) {
    core::Status status = predictions.status();
    if (status.code() == core::StatusCode::kCancelled) return status;
    return status.AddContext("while predicting with " + model.info().algorithm);
  }
  if (predictions->rows != data.num_rows()) {
    return core::Internal("{} returned {} predictions for {} rows", model.info().algorithm,
                          predictions->rows, data.num_rows());
  }
  KILN_RETURN_IF_ERROR(CheckPredictions(model.info().label, *predictions));
  return predictions;
}

}  // namespace kiln::cli
