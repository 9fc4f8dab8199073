// kiln predict: load a model, read data the way the model expects it, write one CSV line per row.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "kiln/cli/format.h"
#include "kiln/cli/predictions_csv.h"
#include "kiln/core/file.h"
#include "model_input.h"

namespace kiln::cli {
namespace {

constexpr const char* kPredictExamples = R"(Examples:
  kiln predict --model bc.kiln --data data/breast_cancer/test.csv
  kiln predict --model churn.kiln --data data/wa_churn/test.csv --output predictions.csv

With --url, a running 'kiln serve' answers instead of a model file (client side):
  kiln predict --url http://127.0.0.1:8080 churn --data test.csv --output predictions.csv

Output: CSV with a header. Classification: 'prediction' (the class), then 'p_<class>' per class
(probabilities; 'score_<class>' for models without probabilities, one column for the positive
class of a binary model). Regression: 'prediction'. Clustering: 'cluster' (its index) and
'distance' (to the cluster's centre).)";

constexpr size_t kFlushBytes = size_t{1} << 20;

bool ToStdout(const std::string& output) { return output.empty() || output == "-"; }

}  // namespace

CLI::App* AddPredictCommand(CLI::App& app, PredictOptions& o) {
  CLI::App* cmd = app.add_subcommand("predict", "Predict with a saved model, one CSV row per row");
  cmd->add_option("--model", o.model, "Model file written by 'kiln train'")->type_name("MODEL");
  cmd->add_option("--url", o.url, "Ask a running 'kiln serve' at URL instead (http://HOST:PORT)")
      ->type_name("URL");
  cmd->add_option("name", o.name, "With --url: the served model, NAME or NAME@ALIAS")
      ->type_name("NAME");
  cmd->add_option("--batch-rows", o.batch_rows, "With --url: rows per request")
      ->default_str("1024")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--data", o.data, "Data to predict (the label column may be absent)")
      ->type_name("FILE")
      ->required();
  cmd->add_option("-o,--output", o.output, "Where to write the predictions; '-' is stdout")
      ->type_name("FILE")
      ->default_str("-");
  AddRunOptions(*cmd, o.run, ReadFlagsUse::kModel);
  cmd->footer(kPredictExamples);
  return cmd;
}

core::Status RunPredict(const PredictOptions& options, Session& session) {
  if (!options.url.empty()) {
    if (!options.model.empty())
      return core::InvalidArgument("give either --model FILE or --url URL NAME, not both");
    return RunPredictRemote(options, session);
  }
  if (options.model.empty())
    return core::InvalidArgument("kiln predict needs --model FILE (or --url URL NAME)");
  if (!options.name.empty())
    return core::InvalidArgument("'{}': a model name is only taken with --url; use --model FILE",
                                 options.name);
  KILN_RETURN_IF_ERROR(CheckInputFile("--data", options.data));
  if (!ToStdout(options.output))
    KILN_RETURN_IF_ERROR(
        PrepareOutputFile("--output", options.output, {options.data, options.model}));
  KILN_ASSIGN_OR_RETURN(auto model, LoadModelFile(options.model, session));
  auto ctx = session.MakeContext(options.run);
  ModelDataRequest request;
  request.path = options.data;
  request.label_policy = data::LabelPolicy::kOptional;
  KILN_ASSIGN_OR_RETURN(data::Dataset dataset,
                        ReadDataForModel(model->info(), request, options.run, session, *ctx));
  KILN_ASSIGN_OR_RETURN(ml::Predictions predictions, PredictAll(*model, dataset, *ctx));

  const ml::LabelInfo& label = model->info().label;
  std::string text = PredictionHeader(label, predictions);
  if (ToStdout(options.output)) {
    // Stream in pieces so a large prediction set never sits in memory twice.
    std::ostream& out = session.out();
    for (size_t begin = 0; begin < predictions.rows;) {
      const size_t end = std::min(predictions.rows, begin + 8192);
      AppendPredictionRows(label, predictions, begin, end, text);
      begin = end;
      if (text.size() >= kFlushBytes || begin == predictions.rows) {
        out << text;
        text.clear();
      }
    }
    out << text;
    out.flush();
    if (!out) return core::IoError("could not write the predictions to stdout");
    return core::Status::Ok();
  }
  AppendPredictionRows(label, predictions, 0, predictions.rows, text);
  KILN_RETURN_IF_ERROR(core::WriteFileAtomic(options.output, text));
  session.out() << fmt::format("predictions for {} written to {}\n",
                               Plural(predictions.rows, "row"), options.output);
  return core::Status::Ok();
}

}  // namespace kiln::cli
