// kiln evaluate: score a saved model on labelled data; a table, or JSON with --json.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "kiln/cli/format.h"
#include "kiln/data/dataset_view.h"
#include "kiln/ml/evaluation.h"
#include "model_input.h"

namespace kiln::cli {
namespace {

constexpr const char* kEvaluateExamples = R"(Examples:
  kiln evaluate --model bc.kiln --data data/breast_cancer/test.csv
  kiln evaluate --model churn.kiln --data data/wa_churn/test.csv --json

Metrics: binary: auc, logloss, accuracy, precision, recall, f1 (+ confusion matrix);
multiclass: accuracy, logloss, f1_macro, f1_micro, f1_weighted, precision_macro, recall_macro
(+ confusion matrix); regression: rmse, mae, r2. logloss only for models with probabilities.
Clustering: inertia, mean_distance, silhouette (on a seeded sample of at most 10,000 rows) and,
when the data has the label column (--label, or the one named at training), adjusted_rand.
--json prints one object {"metric": value, ...}; a metric that is undefined is null.)";

// Evaluation::ToJson's values (NaN -> null) with the keys in display order, not alphabetical.
nlohmann::ordered_json MetricsInOrder(const ml::Evaluation& evaluation) {
  const nlohmann::json values = evaluation.ToJson();
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [key, unused] : evaluation.metrics) {
    const nlohmann::json& v = values[key];
    out[key] = v.is_number() ? nlohmann::ordered_json(v.get<double>()) : nullptr;
  }
  return out;
}

}  // namespace

CLI::App* AddEvaluateCommand(CLI::App& app, EvaluateOptions& o) {
  CLI::App* cmd =
      app.add_subcommand("evaluate", "Compute a saved model's metrics on labelled data");
  cmd->add_option("--model", o.model, "Model file written by 'kiln train'")
      ->type_name("MODEL")
      ->required();
  cmd->add_option("--data", o.data, "Labelled data to evaluate on")->type_name("FILE")->required();
  cmd->add_option("--label", o.label,
                  "Label column (default: the model's label column; for a clustering model, "
                  "optional: the clusters are compared with it)")
      ->type_name("COL");
  cmd->add_option("--weight", o.weight, "Column of per-row weights for the metrics")
      ->type_name("COL");
  cmd->add_flag("--json", o.json, "Print the metrics as one JSON object");
  AddTrackOptions(*cmd, o.track);
  AddRunOptions(*cmd, o.run, ReadFlagsUse::kModel);
  cmd->footer(kEvaluateExamples);
  return cmd;
}

namespace {

core::Status Evaluate(const EvaluateOptions& options, std::unique_ptr<ml::Model> model,
                      Session& session, RunTracker* tracker) {
  auto ctx = session.MakeContext(options.run);
  ModelDataRequest request;
  request.path = options.data;
  request.label = options.label;
  request.weight = options.weight;
  // A clustering model is scored without a label; one given (or named at training) is used when
  // the file has it.
  const bool clustering = model->info().label.is_clustering();
  request.label_policy = clustering && options.label.empty() ? data::LabelPolicy::kOptional
                                                             : data::LabelPolicy::kRequired;
  KILN_ASSIGN_OR_RETURN(data::Dataset dataset,
                        ReadDataForModel(model->info(), request, options.run, session, *ctx));
  if (tracker != nullptr) {
    KILN_RETURN_IF_ERROR(tracker->RecordInputModel(options.model));
    KILN_RETURN_IF_ERROR(tracker->RecordDataset(options.data, dataset, "eval_data"));
  }
  KILN_ASSIGN_OR_RETURN(ml::Predictions predictions, PredictAll(*model, dataset, *ctx));
  auto evaluation = ml::EvaluateModel(*model, data::DatasetView(dataset), predictions, *ctx);
  if (!evaluation.ok()) {
    return core::Status(evaluation.status())
        .AddContext(fmt::format("while evaluating {} on {}", options.model, options.data));
  }
  if (tracker != nullptr) KILN_RETURN_IF_ERROR(tracker->LogMetrics(MetricMap(*evaluation)));
  if (options.json) {
    session.out() << MetricsInOrder(*evaluation).dump(2) << '\n';
    return core::Status::Ok();
  }
  session.out() << fmt::format("evaluation of {} on {} ({}{})\n", options.model, options.data,
                               Plural(evaluation->rows, "row"),
                               dataset.has_weights() ? ", weighted" : "");
  session.out() << evaluation->ToTable();
  if (tracker != nullptr) session.out() << fmt::format("recorded run {}\n", tracker->run_id());
  return core::Status::Ok();
}

}  // namespace

core::Status RunEvaluate(const EvaluateOptions& options, Session& session) {
  KILN_RETURN_IF_ERROR(CheckInputFile("--data", options.data));
  KILN_ASSIGN_OR_RETURN(auto model, LoadModelFile(options.model, session));
  std::map<std::string, std::string> params{{"model", options.model}, {"data", options.data}};
  if (!options.label.empty()) params["label"] = options.label;
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<RunTracker> tracker,
                        RunTracker::Start(session, options.track, "evaluate", params));
  core::Status status = Evaluate(options, std::move(model), session, tracker.get());
  if (tracker != nullptr) {
    core::Status recorded = tracker->Finish(status);
    if (status.ok() && !recorded.ok()) return recorded.AddContext("while recording the run");
  }
  return status;
}

}  // namespace kiln::cli
