// kiln export: write a model file in another format (PMML) for other scoring engines, or for
// `kiln serve` to serve through its pmml processor.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "kiln/core/file.h"
#include "model_input.h"

namespace kiln::cli {
namespace {

constexpr const char* kExportExamples = R"(Examples:
  kiln export churn.kiln --format pmml -o churn.pmml
  kiln export bc.kiln -o bc.pmml

PMML export covers linear_regression, logistic_regression (binary and multinomial) and linear_svm
(decision values): one PMML 4.4 RegressionModel with Kiln's standardization, mean imputation,
missing-value indicators and one-hot encoding, scoring as 'kiln predict' does. Models with
hashed categorical columns (more categories than max_onehot) or trained on LibSVM data are
refused. gbdt models become a MiningModel summing one TreeModel per tree (then the logit or
softmax link), with the learned directions for missing values as default children.)";

}  // namespace

CLI::App* AddExportCommand(CLI::App& app, ExportOptions& o) {
  CLI::App* cmd = app.add_subcommand("export", "Write a model file as PMML");
  cmd->add_option("model", o.model, "Model file written by 'kiln train'")
      ->type_name("MODEL")
      ->required();
  cmd->add_option("--format", o.format, "Output format")
      ->type_name("FORMAT")
      ->default_str("pmml")
      ->check(CLI::IsMember({"pmml"}));
  cmd->add_option("-o,--output", o.output, "Where to write it; '-' is stdout")
      ->type_name("FILE")
      ->required();
  cmd->footer(kExportExamples);
  return cmd;
}

core::Status RunExport(const ExportOptions& options, Session& session) {
  KILN_RETURN_IF_ERROR(CheckInputFile("MODEL", options.model));
  const bool to_stdout = options.output == "-";
  if (!to_stdout)
    KILN_RETURN_IF_ERROR(PrepareOutputFile("--output", options.output, {options.model}));
  KILN_ASSIGN_OR_RETURN(auto model, LoadModelFile(options.model, session));
  auto pmml = model->ExportPmml();
  if (!pmml.ok()) {
    return core::Status(pmml.status()).AddContext("exporting " + options.model + " to PMML");
  }
  if (to_stdout) {
    session.out() << *pmml;
    session.out().flush();
    if (!session.out()) return core::IoError("could not write the PMML document to stdout");
    return core::Status::Ok();
  }
  KILN_RETURN_IF_ERROR(core::WriteFileAtomic(options.output, *pmml));
  session.out() << fmt::format("{} model written to {} as PMML\n", model->info().algorithm,
                               options.output);
  return core::Status::Ok();
}

}  // namespace kiln::cli
