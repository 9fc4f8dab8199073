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
  cmd->add_option("--label", o.label, "Label column (default: the model's label column)")
      ->type_name("COL");
  cmd->add_option("--weight", o.weight, "Column of per-row weights for the metrics")
      ->type_name("COL");
  cmd->add_flag("--json", o.json, "Print the metrics as one JSON object");
  AddRunOptions(*cmd, o.run, ReadFlagsUse::kModel);
  cmd->footer(kEvaluateExamples);
  return cmd;
}

core::Status RunEvaluate(const EvaluateOptions& options, Session& session) {
  KILN_RETURN_IF_ERROR(CheckInputFile("--data", options.data));
  KILN_ASSIGN_OR_RETURN(auto model, LoadModelFile(options.model, session));
  auto ctx = session.MakeContext(options.run);
  ModelDataRequest request;
  request.path = options.data;
  request.label = options.label;
  request.weight = options.weight;
  request.label_policy = data::LabelPolicy::kRequired;
  KILN_ASSIGN_OR_RETURN(data::Dataset dataset,
                        ReadDataForModel(model->info(), request, options.run, session, *ctx));
  KILN_ASSIGN_OR_RETURN(ml::Predictions predictions, PredictAll(*model, dataset, *ctx));
  auto evaluation = ml::Evaluate(model->info().label, data::DatasetView(dataset), predictions);
  if (!evaluation.ok()) {
    return core::Status(evaluation.status())
        .AddContext(fmt::format("while evaluating {} on {}", options.model, options.data));
  }
  if (options.json) {
    session.out() << MetricsInOrder(*evaluation).dump(2) << '\n';
    return core::Status::Ok();
  }
  session.out() << fmt::format("evaluation of {} on {} ({}{})\n", options.model, options.data,
                               Plural(evaluation->rows, "row"),
                               dataset.has_weights() ? ", weighted" : "");
  session.out() << evaluation->ToTable();
  return core::Status::Ok();
}

}  // namespace kiln::cli
