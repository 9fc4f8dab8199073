// kiln transform: apply a transform model (pca, tfidf) to a data file and write the new features —
// dense columns as CSV, sparse rows as LibSVM — with the label (if the file has one) carried
// through, so that 'kiln train' can learn from the output directly.
#include <chrono>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "kiln/cli/format.h"
#include "kiln/core/strings.h"
#include "kiln/data/dataset_view.h"
#include "model_input.h"
#include "transformed_output.h"

namespace kiln::cli {
namespace {

constexpr const char* kTransformExamples = R"(Examples:
  kiln train --algo pca --data data/wine/train.csv --label label -p n_components=2 -o pca.kiln
  kiln transform --model pca.kiln --data data/wine/test.csv -o wine_pca.csv

  kiln train --algo tfidf --data data/fine_foods/train.csv --label score \
      -p stop_words=english -p min_df=2 -o tfidf.kiln
  kiln transform --model tfidf.kiln --data data/fine_foods/train.csv -o train.libsvm
  kiln train --algo logistic_regression --data train.libsvm -o reviews.kiln

Output: dense features (pca: pc1..pcK) as CSV, sparse ones (tfidf) as LibSVM, chosen from the
model unless --output-format says otherwise; the label column comes last in CSV, first in LibSVM. LibSVM
labels must be numbers: text classes are written as their index in sorted order (0, 1, ...),
and the mapping is printed.)";

}  // namespace

CLI::App* AddTransformCommand(CLI::App& app, TransformOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "transform", "Write the features a transform model (pca, tfidf) makes from a data file");
  cmd->add_option("--model", o.model, "Transform model file written by 'kiln train'")
      ->type_name("MODEL")
      ->required();
  cmd->add_option("--data", o.data, "Data to transform (a label column is carried through)")
      ->type_name("FILE")
      ->required();
  cmd->add_option("-o,--output", o.output, "Where to write the features")
      ->type_name("FILE")
      ->required();
  cmd->add_option("--output-format", o.output_format,
                  "csv or libsvm [default: csv for dense features, libsvm for sparse ones]")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"csv", "libsvm"}));
  AddRunOptions(*cmd, o.run, ReadFlagsUse::kModel);
  cmd->footer(kTransformExamples);
  return cmd;
}

core::Status RunTransform(const TransformOptions& options, Session& session) {
  KILN_RETURN_IF_ERROR(CheckInputFile("--data", options.data));
  KILN_RETURN_IF_ERROR(
      PrepareOutputFile("--output", options.output, {options.data, options.model}));
  KILN_ASSIGN_OR_RETURN(auto model, LoadModelFile(options.model, session));
  const ml::Transformer* transformer = model->AsTransformer();
  if (transformer == nullptr) {
    return core::InvalidArgument(
        "{}: {} is a {} model, not a transform; 'kiln predict' applies it (transform models are "
        "pca and tfidf)",
        options.model, model->info().algorithm, ml::TaskName(model->info().label.task));
  }
  KILN_ASSIGN_OR_RETURN(const std::string format,
                        TransformOutputFormat(*transformer, model->info().algorithm,
                                              options.output_format, "--output-format"));
  auto ctx = session.MakeContext(options.run);
  ModelDataRequest request;
  request.path = options.data;
  request.label_policy = data::LabelPolicy::kOptional;
  KILN_ASSIGN_OR_RETURN(data::Dataset input,
                        ReadDataForModel(model->info(), request, options.run, session, *ctx));
  const auto start = std::chrono::steady_clock::now();
  auto transformed = transformer->Transform(data::DatasetView(input), *ctx);
  if (!transformed.ok()) {
    core::Status status = transformed.status();
    if (status.code() == core::StatusCode::kCancelled) return status;
    return status.AddContext(
        fmt::format("while transforming {} with {}", options.data, model->info().algorithm));
  }
  data::Dataset out = std::move(transformed).value();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  KILN_ASSIGN_OR_RETURN(const std::vector<std::string> mapping,
                        WriteTransformed(out, options.output, format, ctx->pool()));
  KILN_RETURN_IF_ERROR(ctx->CheckCancelled("transform"));
  session.out() << fmt::format("transformed {} from {} into {} in {}; written to {} ({})\n",
                               Plural(out.num_rows(), "row"), options.data,
                               Plural(out.num_features(), "feature"), FormatSeconds(seconds),
                               options.output, format);
  PrintLabelMapping(out, mapping, session.out());
  return core::Status::Ok();
}

}  // namespace kiln::cli
