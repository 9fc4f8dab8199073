// kiln train: read data, resolve parameters through the algorithm's ParamSpec, fit, save.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "kiln/cli/format.h"
#include "kiln/cli/schema_check.h"
#include "kiln/core/hash.h"
#include "kiln/core/strings.h"
#include "kiln/data/dataset_view.h"
#include "kiln/dist/collective.h"
#include "kiln/ml/evaluation.h"
#include "kiln/ml/model_io.h"
#include "model_input.h"
#include "train_dist.h"
#include "transformed_output.h"

namespace kiln::cli {
namespace {

constexpr const char* kTrainExamples = R"(Examples:
  kiln train --algo logistic_regression --data data/breast_cancer/train.csv --output bc.kiln
  kiln train --algo logistic_regression --data data/wa_churn/train.csv --label churn \
      --valid data/wa_churn/test.csv -p l2=0.001 -p max_iter=200 --output churn.kiln
  kiln train --algo linear_regression --data data/diabetes/train.csv --output diabetes.kiln
  kiln train --algo linear_svm --data train.libsvm --format libsvm --threads 4 --output svm.kiln
  kiln train --algo kmeans --data data/wine/train.csv --ignore label -p num_clusters=3 -o wine.kiln
  kiln train --algo kmeans --data data/iris/train.csv --label label -p num_clusters=3 -o iris.kiln
  kiln train --algo gbdt --data data/wa_churn/train.csv --label churn \
      --valid data/wa_churn/test.csv -p num_trees=500 -p early_stopping_rounds=20 \
      --output churn_gbdt.kiln
  kiln train --algo tfidf --data data/fine_foods/train.csv --label score -p min_df=2 \
      -o tfidf.kiln --transform-output train.libsvm
  kiln train --algo logistic_regression --data data/breast_cancer/train.csv \
      --dist allreduce --workers 2 --output bc.kiln

Clustering algorithms (kmeans) need no label: every column is a feature unless --label names one,
which is then kept out of the features (and 'kiln evaluate' compares the clusters with it).

Data-parallel training (--dist, algorithms with capability 'distributed'): --dist allreduce
--workers N runs N ranks as threads; under mpirun each process is one rank, as in
'mpirun -np 4 kiln train --algo logistic_regression --data part-{rank}.csv --dist mpi -o m.kiln'.
Each rank trains on its share of the rows (or its own {rank} file); the model matches the
single-process one up to rounding and the solver's tolerance. See docs/distributed.md.

Parameters (-p key=value) depend on the algorithm: see 'kiln algorithms NAME'.)";

core::Result<core::ParamMap> ResolveParams(const ml::AlgorithmEntry& entry,
                                           const std::vector<std::string>& raw) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& text : raw) {
    auto kv = core::SplitKeyValue(text);
    if (!kv.ok()) return core::Status(kv.status()).AddContext("in -p " + text);
    pairs.push_back(std::move(kv).value());
  }
  return entry.params.Resolve(pairs);
}

std::string Shape(const data::Dataset& ds) {
  return fmt::format("{} × {}{}", Plural(ds.num_rows(), "row"),
                     Plural(ds.num_features(), "feature"), ds.is_sparse() ? " (sparse)" : "");
}

void FillTrainingInfo(const data::Dataset& ds, const TrainOptions& options,
                      const core::Context& ctx, double seconds, ml::TrainingInfo& info) {
  info.rows = ds.num_rows();
  info.seconds = seconds;
  info.threads = ctx.threads();
  info.seed = ctx.seed();
  info.data_path = AbsolutePath(options.data);
  info.data_hash =
      ds.source().content_hash != 0 ? core::HexDigest(ds.source().content_hash) : std::string();
  info.created_at = IsoTimestampUtc(std::chrono::system_clock::now());
  info.kiln_version = KILN_VERSION;
}

// Clustering and transforms learn without a label.
bool LearnsWithoutLabel(const ml::AlgorithmEntry& entry) {
  const auto& tasks = entry.factory.tasks;
  return std::any_of(tasks.begin(), tasks.end(), ml::LearnsWithoutLabel);
}

core::Result<ml::Evaluation> ReportValidation(const ml::Model& model, const data::Dataset& valid,
                                              const TrainOptions& options, Session& session,
                                              core::Context& ctx) {
  KILN_ASSIGN_OR_RETURN(ml::Predictions predictions, PredictAll(model, valid, ctx));
  KILN_ASSIGN_OR_RETURN(ml::Evaluation evaluation,
                        ml::EvaluateModel(model, data::DatasetView(valid), predictions, ctx));
  session.out() << fmt::format("validation on {} ({}):\n", options.valid,
                               Plural(valid.num_rows(), "row"));
  session.out() << Indent(evaluation.ToTable(), "  ");
  return evaluation;
}

}  // namespace

CLI::App* AddTrainCommand(CLI::App& app, TrainOptions& o) {
  CLI::App* cmd = app.add_subcommand("train", "Train a model on a data file and save it");
  cmd->add_option("--algo", o.algo, "Algorithm to train (see 'kiln algorithms')")
      ->type_name("NAME")
      ->required();
  cmd->add_option("--data", o.data, "Training data file (CSV, LibSVM or JSON Lines)")
      ->type_name("FILE")
      ->required();
  cmd->add_option("--label", o.label,
                  "Label column; clustering algorithms take none unless it is given, and keep a "
                  "given one out of the features")
      ->type_name("COL")
      ->default_str("label");
  cmd->add_option("--weight", o.weight, "Column of per-row sample weights")->type_name("COL");
  cmd->add_option("--ignore", o.ignore, "Columns to leave out of the features")
      ->type_name("COL,...")
      ->delimiter(',');
  cmd->add_option("--categorical", o.categorical, "Columns to treat as categorical")
      ->type_name("COL,...")
      ->delimiter(',');
  cmd->add_option("--valid", o.valid, "Validation data: metrics are reported on it")
      ->type_name("FILE");
  cmd->add_option("-p,--param", o.params, "An algorithm parameter; repeat for more")
      ->type_name("KEY=VALUE")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("-o,--output", o.output, "Where to write the model file")
      ->type_name("MODEL")
      ->required();
  cmd->add_option("--transform-output", o.transform_output,
                  "Transform algorithms (pca, tfidf): also write the training rows through the "
                  "new model here, as 'kiln transform' would (tfidf makes them in its fitting "
                  "pass, tokenizing once)")
      ->type_name("FILE");
  cmd->add_option("--transform-format", o.transform_format,
                  "csv or libsvm for --transform-output [default: csv for dense features, "
                  "libsvm for sparse ones]")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"csv", "libsvm"}));
  cmd->add_option("--register", o.register_name,
                  "Register the model as a new version of this name [default: the output "
                  "file's name without extension]")
      ->type_name("NAME");
  cmd->add_option("--dist", o.dist,
                  "Train data-parallel: 'allreduce' runs --workers ranks as threads of this "
                  "process; 'mpi' makes each process of 'mpirun -np N kiln train --dist mpi ...' "
                  "one rank. Rank r trains on its contiguous share of --data's rows, or on its own "
                  "file when --data contains {rank}; rank 0 writes the model. For algorithms with "
                  "capability 'distributed' (see 'kiln algorithms')")
      ->type_name("MODE");
  cmd->add_option("--workers", o.workers,
                  "Ranks for --dist allreduce; --threads are shared out among them")
      ->type_name("N");
  AddTrackOptions(*cmd, o.track);
  AddRunOptions(*cmd, o.run, ReadFlagsUse::kTraining);
  cmd->footer(kTrainExamples);
  return cmd;
}

namespace {

// The run's params as recorded: what was trained on what, and every algorithm parameter
// (defaults included, so runs compare on equal terms).
std::map<std::string, std::string> TrackedParams(const TrainOptions& options,
                                                 const core::ParamMap& params) {
  std::map<std::string, std::string> out;
  out["algo"] = options.algo;
  out["data"] = options.data;
  out["label"] = options.label;
  if (!options.valid.empty()) out["valid"] = options.valid;
  if (!options.weight.empty()) out["weight"] = options.weight;
  const nlohmann::json values = params.ToJson();
  for (const auto& [key, value] : values.items()) {
    out[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return out;
}

// --transform-output needs a transform algorithm and a file of its own.
core::Status CheckTransformOutput(const TrainOptions& options, const ml::AlgorithmEntry& entry) {
  if (options.transform_output.empty()) {
    if (!options.transform_format.empty()) {
      return core::InvalidArgument("--transform-format {} needs --transform-output FILE",
                                   options.transform_format);
    }
    return core::Status::Ok();
  }
  if (!options.dist.empty()) {
    return core::InvalidArgument(
        "--transform-output {} with --dist {}: transforms train in one process only",
        options.transform_output, options.dist);
  }
  const auto& tasks = entry.factory.tasks;
  if (std::find(tasks.begin(), tasks.end(), ml::Task::kTransform) == tasks.end()) {
    return core::InvalidArgument(
        "--transform-output {}: {} is not a transform algorithm (it trains a model that "
        "predicts; transforms are pca and tfidf)",
        options.transform_output, entry.name);
  }
  namespace fs = std::filesystem;
  if (fs::absolute(options.transform_output).lexically_normal() ==
      fs::absolute(options.output).lexically_normal()) {
    return core::InvalidArgument("--transform-output {} is the model file --output as well",
                                 options.transform_output);
  }
  return PrepareOutputFile("--transform-output", options.transform_output,
                           {options.data, options.valid});
}

// What this process trains on: the datasets it read and each local rank's rows.
struct TrainData {
  std::vector<data::Dataset> datasets;    // one, or one per in-process rank ({rank} files)
  std::vector<data::DatasetView> shards;  // one per rank this process runs
  uint64_t total_rows = 0;                // over every rank of the job
};

core::Result<data::Dataset> ReadOne(const std::string& path, const data::ReadOptions& read,
                                    Session& session, core::Context& ctx) {
  KILN_RETURN_IF_ERROR(CheckInputFile("--data", path));
  return session.ReadData(path, read, ctx);
}

// Reads the training data of this process: the whole file (split into the ranks' row ranges),
// or each local rank's own file.
core::Status ReadTrain(const TrainOptions& options, const data::ReadOptions& read, Session& session,
                       core::Context& ctx, const MpiRank* mpi, TrainData& out) {
  const int ranks = mpi != nullptr ? mpi->collective->size()
                                   : (options.dist == "allreduce" ? options.workers : 1);
  const bool per_rank = HasRankPattern(options.data);
  if (mpi != nullptr) {
    const int rank = mpi->collective->rank();
    const std::string path = per_rank ? RankPath(options.data, rank) : options.data;
    KILN_ASSIGN_OR_RETURN(data::Dataset ds, ReadOne(path, read, session, ctx));
    out.datasets.push_back(std::move(ds));
    const data::Dataset& d = out.datasets.back();
    if (per_rank) {
      out.shards.emplace_back(d);
    } else {
      auto [begin, end] = ShardRange(d.num_rows(), rank, ranks);
      std::vector<uint32_t> rows;
      for (size_t i = begin; i < end; ++i) rows.push_back(static_cast<uint32_t>(i));
      out.shards.emplace_back(d, std::move(rows));
    }
    return core::Status::Ok();
  }
  if (per_rank) {
    for (int r = 0; r < ranks; ++r) {
      const std::string path = RankPath(options.data, r);
      auto ds = ReadOne(path, read, session, ctx);
      if (!ds.ok()) return core::Status(ds.status()).AddContext(fmt::format("rank {}", r));
      out.datasets.push_back(std::move(ds).value());
    }
    for (const auto& d : out.datasets) {
      out.shards.emplace_back(d);
      out.total_rows += d.num_rows();
    }
    return core::Status::Ok();
  }
  KILN_ASSIGN_OR_RETURN(data::Dataset ds, session.ReadData(options.data, read, ctx));
  out.datasets.push_back(std::move(ds));
  const data::Dataset& d = out.datasets.back();
  out.total_rows = d.num_rows();
  if (ranks == 1 && options.dist.empty()) {
    out.shards.emplace_back(d);
    return core::Status::Ok();
  }
  for (int r = 0; r < ranks; ++r) {
    auto [begin, end] = ShardRange(d.num_rows(), r, ranks);
    std::vector<uint32_t> rows;
    for (size_t i = begin; i < end; ++i) rows.push_back(static_cast<uint32_t>(i));
    out.shards.emplace_back(d, std::move(rows));
  }
  return core::Status::Ok();
}

core::Status Train(const TrainOptions& options, const ml::AlgorithmEntry& entry,
                   const core::ParamMap& params, Session& session, RunTracker* tracker,
                   MpiRank* mpi) {
  const bool root = mpi == nullptr || mpi->collective->rank() == 0;
  auto ctx = session.MakeContext(options.run);
  data::ReadOptions read;
  read.label = options.label;
  // Clustering learns without a label: then the file may have none (or it is not one).
  read.label_policy =
      options.label.empty() ? data::LabelPolicy::kNone : data::LabelPolicy::kRequired;
  read.weight = options.weight;
  read.ignore = options.ignore;
  read.categorical = options.categorical;
  KILN_RETURN_IF_ERROR(ApplyReadFlags(options.run.read, read));

  TrainData train_data;
  std::optional<data::Dataset> valid;
  // Reading can fail on one rank only: every rank learns the outcome before training starts.
  core::Status read_status = [&]() -> core::Status {
    KILN_RETURN_IF_ERROR(ReadTrain(options, read, session, *ctx, mpi, train_data));
    const data::Dataset& train = train_data.datasets.front();
    if (!root) return core::Status::Ok();
    if (tracker != nullptr) {
      KILN_RETURN_IF_ERROR(tracker->RecordDataset(
          HasRankPattern(options.data) ? RankPath(options.data, 0) : options.data, train,
          "train_data"));
    }
    if (options.valid.empty()) return core::Status::Ok();
    data::ReadOptions valid_read = read;
    for (const auto& field : train.schema().fields)
      valid_read.column_types[field.name] = field.type;
    KILN_ASSIGN_OR_RETURN(valid, session.ReadData(options.valid, valid_read, *ctx));
    if (tracker != nullptr) {
      KILN_RETURN_IF_ERROR(tracker->RecordDataset(options.valid, *valid, "valid_data"));
    }
    KILN_ASSIGN_OR_RETURN(InputCheck check,
                          CheckInputSchema(train.schema(), *valid, options.valid));
    for (const auto& warning : check.warnings) session.logger().Warn("{}", warning);
    if (!check.unused_columns.empty()) {
      session.logger().Warn("{}: ignoring {} that the training data does not have: {}",
                            options.valid, Plural(check.unused_columns.size(), "column"),
                            ListPreview(check.unused_columns));
    }
    return core::Status::Ok();
  }();
  if (mpi != nullptr) read_status = mpi->Agree(read_status);
  KILN_RETURN_IF_ERROR(read_status);
  if (mpi != nullptr) {
    int64_t rows = static_cast<int64_t>(train_data.shards.front().size());
    core::Status summed =
        mpi->collective->AllReduce(std::span<int64_t>(&rows, 1), dist::ReduceOp::kSum);
    if (!summed.ok()) {
      mpi->broken = true;
      return summed;
    }
    train_data.total_rows = static_cast<uint64_t>(rows);
  }
  const data::Dataset& train = train_data.datasets.front();

  const int ranks =
      mpi != nullptr ? mpi->collective->size() : static_cast<int>(train_data.shards.size());
  const int threads_per_rank =
      options.dist == "allreduce" ? std::max(1, ctx->threads() / ranks) : ctx->threads();
  const auto start = std::chrono::steady_clock::now();
  std::optional<data::Dataset> transformed;
  auto fitted = [&]() -> core::Result<std::unique_ptr<ml::Model>> {
    if (options.dist == "allreduce") {
      return FitInProcess(entry, params, train_data.shards, threads_per_rank, *ctx);
    }
    KILN_ASSIGN_OR_RETURN(auto estimator, entry.factory.create(params));
    ml::TrainInput input{train_data.shards.front(), std::nullopt,
                         mpi != nullptr ? mpi->collective : nullptr};
    if (valid && mpi == nullptr) input.valid = data::DatasetView(*valid);
    if (options.transform_output.empty()) return estimator->Fit(input, *ctx);
    KILN_ASSIGN_OR_RETURN(ml::FitTransformResult both, estimator->FitTransform(input, *ctx));
    transformed = std::move(both.transformed);
    return std::move(both.model);
  }();
  if (mpi != nullptr) {
    // Ranks' errors inside Fit are agreed already; this also catches any that were not.
    core::Status agreed = mpi->Agree(fitted.status());
    if (!agreed.ok() && fitted.ok()) fitted = agreed;
  }
  if (!fitted.ok()) {
    core::Status status = fitted.status();
    if (status.code() == core::StatusCode::kCancelled) return status;
    return status.AddContext(fmt::format("while training {} on {}", entry.name, options.data));
  }
  std::unique_ptr<ml::Model> model = std::move(fitted).value();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // Only rank 0 writes, prints and records; the others wait for its outcome, so a failure to
  // save the model fails every rank.
  core::Status finished = [&]() -> core::Status {
    if (!root) return core::Status::Ok();
    // A Ctrl-C that arrives as training finishes still means "do not write a model".
    KILN_RETURN_IF_ERROR(ctx->CheckCancelled("training"));
    std::string format;  // of --transform-output, checked before anything is written
    if (transformed) {
      KILN_ASSIGN_OR_RETURN(format,
                            TransformOutputFormat(*model->AsTransformer(), entry.name,
                                                  options.transform_format, "--transform-format"));
    }
    ml::TrainingInfo& info = model->mutable_info().training;
    FillTrainingInfo(train, options, *ctx, seconds, info);
    std::string threads_text = Plural(static_cast<size_t>(ctx->threads()), "thread");
    if (!options.dist.empty()) {
      info.rows = train_data.total_rows;
      info.threads = threads_per_rank * ranks;
      info.data_path = HasRankPattern(options.data) ? options.data : info.data_path;
      info.extra["distributed"] = {
          {"mode", options.dist}, {"ranks", ranks}, {"threads_per_rank", threads_per_rank}};
      threads_text = fmt::format("--dist {}: {} × {}", options.dist,
                                 Plural(static_cast<size_t>(ranks), "rank"),
                                 Plural(static_cast<size_t>(threads_per_rank), "thread"));
    }
    model->mutable_info().training.extra[kReadOptionsKey] =
        RecordReadOptions(read, options.run.read.format);
    KILN_RETURN_IF_ERROR(ml::SaveModel(*model, options.output));

    auto& out = session.out();
    const std::string shape = options.dist.empty()
                                  ? Shape(train)
                                  : fmt::format("{} × {}{}", Plural(train_data.total_rows, "row"),
                                                Plural(train.num_features(), "feature"),
                                                train.is_sparse() ? " (sparse)" : "");
    out << fmt::format("trained {} on {} from {} in {} ({}, seed {})\n", entry.name, shape,
                       options.data, FormatSeconds(seconds), threads_text, ctx->seed());
    out << "task: " << DescribeTask(model->info().label) << '\n';
    if (transformed) {
      KILN_ASSIGN_OR_RETURN(
          const std::vector<std::string> mapping,
          WriteTransformed(*transformed, options.transform_output, format, ctx->pool()));
      KILN_RETURN_IF_ERROR(ctx->CheckCancelled("writing the transformed rows"));
      out << fmt::format("training rows transformed into {} written to {} ({})\n",
                         Plural(transformed->num_features(), "feature"), options.transform_output,
                         format);
      PrintLabelMapping(*transformed, mapping, out);
    }
    std::map<std::string, double> metrics{{"train_seconds", seconds}};
    std::string metrics_json = "{}";
    if (valid) {
      auto evaluation = ReportValidation(*model, *valid, options, session, *ctx);
      if (!evaluation.ok()) {
        return core::Status(evaluation.status())
            .AddContext(fmt::format("while evaluating on --valid {} (the model was saved to {})",
                                    options.valid, options.output));
      }
      metrics_json =
          evaluation->ToJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      metrics.merge(MetricMap(*evaluation));
    }
    out << "model written to " << options.output << '\n';
    if (tracker != nullptr) {
      KILN_RETURN_IF_ERROR(tracker->LogMetrics(metrics));
      std::string name = options.register_name;
      if (name.empty()) {
        KILN_ASSIGN_OR_RETURN(name, ModelNameFromPath(options.output));
      }
      KILN_ASSIGN_OR_RETURN(track::ModelVersionRecord version,
                            tracker->RegisterModel(name, options.output, entry.name, metrics_json));
      out << fmt::format("recorded run {} in project {}; registered model {}/{}\n",
                         tracker->run_id(), session.project(), version.model, version.version);
    }
    return core::Status::Ok();
  }();
  return mpi != nullptr ? mpi->Agree(finished) : finished;
}

// The checks that need no data and the run's tracker (rank 0 only under MPI).
core::Status PrepareRun(const TrainOptions& options, const ml::AlgorithmEntry& entry,
                        const core::ParamMap& params, Session& session,
                        std::unique_ptr<RunTracker>* tracker) {
  if (!HasRankPattern(options.data)) {
    KILN_RETURN_IF_ERROR(CheckInputFile("--data", options.data));
  }
  if (!options.valid.empty()) KILN_RETURN_IF_ERROR(CheckInputFile("--valid", options.valid));
  KILN_RETURN_IF_ERROR(
      PrepareOutputFile("--output", options.output, {options.data, options.valid}));
  KILN_RETURN_IF_ERROR(CheckTransformOutput(options, entry));
  if (!options.weight.empty() && !entry.Has(ml::capability::kWeights)) {
    session.logger().Warn(
        "{} does not use sample weights; --weight {} only weights the validation metrics",
        entry.name, options.weight);
  }

  if (!options.register_name.empty()) {
    KILN_RETURN_IF_ERROR(track::ValidateName("--register model", options.register_name));
    if (options.track.no_track) {
      session.logger().Warn("--register {} has no effect with --no-track: nothing is recorded",
                            options.register_name);
    }
  } else if (!options.track.no_track && session.HasStore()) {
    // Fail before training, not after, when the model cannot be named from the file.
    KILN_RETURN_IF_ERROR(ModelNameFromPath(options.output).status());
  }
  KILN_ASSIGN_OR_RETURN(
      *tracker, RunTracker::Start(session, options.track, "train", TrackedParams(options, params)));
  return core::Status::Ok();
}

}  // namespace

core::Status RunTrainAs(const TrainOptions& options, const ml::AlgorithmEntry& entry,
                        const core::ParamMap& params, Session& session, MpiRank* mpi) {
  const bool root = mpi == nullptr || mpi->collective->rank() == 0;
  std::unique_ptr<RunTracker> tracker;
  core::Status status =
      root ? PrepareRun(options, entry, params, session, &tracker) : core::Status::Ok();
  if (mpi != nullptr) status = mpi->Agree(status);
  if (status.ok()) status = Train(options, entry, params, session, tracker.get(), mpi);
  if (tracker != nullptr) {
    core::Status recorded = tracker->Finish(status);
    if (status.ok() && !recorded.ok()) return recorded.AddContext("while recording the run");
  }
  return status;
}

core::Status RunTrain(const TrainOptions& given, Session& session) {
  // Everything that can be checked cheaply is checked before the data is read.
  KILN_ASSIGN_OR_RETURN(const ml::AlgorithmRegistry* registry, session.Registry());
  KILN_ASSIGN_OR_RETURN(const ml::AlgorithmEntry* entry, registry->Get(given.algo));
  // Supervised algorithms read the label from the column 'label' unless told otherwise.
  TrainOptions options = given;
  if (options.label.empty() && !LearnsWithoutLabel(*entry)) options.label = "label";
  KILN_ASSIGN_OR_RETURN(core::ParamMap params, ResolveParams(*entry, options.params));
  KILN_RETURN_IF_ERROR(CheckDistOptions(options, *entry, *registry));
  if (options.dist == "mpi") return RunTrainMpi(options, *entry, params, session);
  return RunTrainAs(options, *entry, params, session, nullptr);
}

}  // namespace kiln::cli
