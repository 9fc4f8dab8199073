// Test doubles for the CLI's unit tests (header-only: tests/CMakeLists.txt compiles *_test.cc
// only): a tiny CSV reader (no quoting) standing in for data::ReadDataset, and a test-only
// "prior" algorithm (predicts the training label's class frequencies, or its mean) registered
// into a local registry — never into the product registry.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kiln/cli/cli.h"
#include "kiln/core/file.h"
#include "kiln/core/hash.h"
#include "kiln/core/strings.h"
#include "kiln/ml/labels.h"

namespace kiln::cli::clitest {

// Reads "a,b,label\n1,2,x\n..." honouring ReadOptions' label (+ policy), weight, ignore (and
// ignore_if_present), categorical, column_types, delimiter, header and na_values; all-number
// columns become numeric, others categorical. Ragged rows are a ParseError naming file and line.
inline core::Result<data::Dataset> ReadSimpleCsv(const std::string& path,
                                                 const data::ReadOptions& options,
                                                 core::Context& ctx) {
  (void)ctx;
  KILN_ASSIGN_OR_RETURN(std::string text, core::ReadFileToString(path));
  std::vector<std::string> lines = core::Split(text, '\n');
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return core::ParseError("{}: the file is empty", path);
  const char delimiter = options.delimiter != 0 ? options.delimiter : ',';
  std::vector<std::string> header = core::Split(lines[0], delimiter);
  if (!options.header) {
    for (size_t c = 0; c < header.size(); ++c) header[c] = fmt::format("c{}", c);
  }
  std::vector<std::vector<std::string>> cells(header.size());
  for (size_t i = options.header ? 1 : 0; i < lines.size(); ++i) {
    std::vector<std::string> fields = core::Split(lines[i], delimiter);
    for (auto& field : fields) {
      if (std::find(options.na_values.begin(), options.na_values.end(), field) !=
          options.na_values.end()) {
        field.clear();
      }
    }
    if (fields.size() != header.size()) {
      return core::ParseError("{} line {}: expected {} fields, found {}", path, i + 1,
                              header.size(), fields.size());
    }
    for (size_t c = 0; c < fields.size(); ++c) cells[c].push_back(fields[c]);
  }
  auto contains = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  std::vector<data::Column> features;
  std::optional<data::Column> label;
  std::vector<float> weights;
  for (size_t c = 0; c < header.size(); ++c) {
    const std::string& name = header[c];
    if (contains(options.ignore, name)) continue;
    if (contains(options.ignore_if_present, name) && name != options.label &&
        name != options.weight) {
      continue;
    }
    bool numeric = !contains(options.categorical, name);
    auto hint = options.column_types.find(name);
    if (hint != options.column_types.end()) numeric = hint->second == data::ColumnType::kNumeric;
    std::vector<float> values;
    for (const auto& cell : cells[c]) {
      if (cell.empty()) {
        values.push_back(NAN);
      } else if (auto v = core::ParseDouble(cell)) {
        values.push_back(static_cast<float>(*v));
      } else {
        numeric = false;
      }
    }
    if (name == options.weight) {
      weights = values;
      continue;
    }
    data::Column column;
    if (numeric) {
      column = data::Column::Numeric(name, values);
    } else {
      std::vector<std::string> categories;
      std::vector<int32_t> codes;
      for (const auto& cell : cells[c]) {
        if (cell.empty()) {
          codes.push_back(data::kMissingCode);
          continue;
        }
        auto it = std::find(categories.begin(), categories.end(), cell);
        if (it == categories.end()) it = categories.insert(categories.end(), cell);
        codes.push_back(static_cast<int32_t>(it - categories.begin()));
      }
      column = data::Column::Categorical(name, codes, categories);
    }
    if (name == options.label && options.label_policy != data::LabelPolicy::kNone) {
      label = std::move(column);
    } else {
      features.push_back(std::move(column));
    }
  }
  if (!label && options.label_policy == data::LabelPolicy::kRequired) {
    return core::NotFound("{}: no label column '{}'", path, options.label);
  }
  if (!options.weight.empty() && weights.empty()) {
    return core::NotFound("{}: no weight column '{}'", path, options.weight);
  }
  data::Dataset ds = data::Dataset::Dense(std::move(features), std::move(label),
                                          core::Array<float>(std::move(weights)));
  data::SourceInfo source;
  source.path = path;
  source.format = "csv";
  source.file_bytes = text.size();
  source.content_hash = core::Hash64(text);
  source.first_data_line = 2;
  ds.set_source(std::move(source));
  data::Schema schema = ds.schema();
  schema.weight = options.weight;
  ds.set_schema(std::move(schema));
  return ds;
}

// The "prior" model: the same scores for every row.
class PriorModel final : public ml::Model {
 public:
  PriorModel(ml::ModelInfo info, std::vector<double> scores, bool probabilistic)
      : ml::Model(std::move(info)), scores_(std::move(scores)), probabilistic_(probabilistic) {}

  core::Result<ml::Predictions> Predict(const data::DatasetView& view,
                                        core::Context& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.CheckCancelled("prediction"));
    ml::Predictions p;
    p.task = info().label.task;
    p.rows = view.size();
    p.probabilistic = probabilistic_;
    int32_t best = 0;
    if (p.task == ml::Task::kBinary) {
      best = scores_[0] >= (probabilistic_ ? 0.5 : 0.0) ? 1 : 0;
    } else if (p.task == ml::Task::kMulticlass) {
      best =
          static_cast<int32_t>(std::max_element(scores_.begin(), scores_.end()) - scores_.begin());
    }
    for (size_t i = 0; i < view.size(); ++i) {
      p.scores.insert(p.scores.end(), scores_.begin(), scores_.end());
      if (p.task != ml::Task::kRegression) p.classes.push_back(best);
    }
    return p;
  }
  core::Status Save(core::ArrayFileWriter& writer) const override {
    writer.meta()["body"] = {{"scores", scores_}, {"probabilistic", probabilistic_}};
    return core::Status::Ok();
  }
  nlohmann::json Describe() const override {
    return {{"scores", scores_}, {"kind", "test-only prior model"}};
  }

 private:
  std::vector<double> scores_;
  bool probabilistic_;
};

class PriorEstimator final : public ml::Estimator {
 public:
  PriorEstimator(std::string name, core::ParamMap params)
      : name_(std::move(name)), params_(std::move(params)) {}

  core::Result<std::unique_ptr<ml::Model>> Fit(const ml::TrainInput& input,
                                               core::Context& ctx) override {
    const data::DatasetView& view = input.train;
    auto progress = ctx.progress().Start("training", params_.GetInt("iterations"), "iter");
    for (int64_t i = 0; i < params_.GetInt("iterations"); ++i) {
      KILN_RETURN_IF_ERROR(ctx.CheckCancelled("training"));
      progress->Add(1);
    }
    ml::ModelInfo info;
    info.algorithm = name_;
    info.params = params_.ToJson();
    info.schema = view.dataset().schema();
    std::vector<double> scores;
    if (params_.GetString("target") == "mean") {
      KILN_ASSIGN_OR_RETURN(info.label, ml::FitRegressionLabel(view));
      KILN_ASSIGN_OR_RETURN(auto targets, ml::EncodeTargets(info.label, view));
      double sum = 0, total = 0;
      for (size_t i = 0; i < targets.size(); ++i) {
        sum += view.weight(i) * targets[i];
        total += view.weight(i);
      }
      scores = {sum / total};
    } else {
      KILN_ASSIGN_OR_RETURN(info.label, ml::FitClassLabels(view));
      KILN_ASSIGN_OR_RETURN(auto classes, ml::EncodeClasses(info.label, view));
      std::vector<double> freq(info.label.num_classes(), 0.0);
      double total = 0;
      for (size_t i = 0; i < classes.size(); ++i) {
        freq[static_cast<size_t>(classes[i])] += view.weight(i);
        total += view.weight(i);
      }
      for (double& f : freq) f /= total;
      if (info.label.task == ml::Task::kBinary) {
        scores = {params_.GetBool("probabilistic") ? freq[1] : freq[1] - freq[0]};
      } else {
        scores = freq;
      }
    }
    return std::unique_ptr<ml::Model>(
        new PriorModel(std::move(info), std::move(scores), params_.GetBool("probabilistic")));
  }

 private:
  std::string name_;
  core::ParamMap params_;
};

inline core::Status RegisterTestAlgorithms(ml::AlgorithmRegistry& registry) {
  for (const std::string name : {"prior", "prior_unweighted"}) {
    ml::AlgorithmEntry entry;
    entry.name = name;
    entry.description = "Test-only: predicts the training label's class frequencies or mean";
    entry.params = core::ParamSpec(name);
    entry.params.Double("l2", 0.0, "Unused; here for 'did you mean' tests").Min(0);
    entry.params.Int("iterations", 1, "Fake iterations (each checks for Ctrl-C)").Min(1);
    entry.params.Bool("probabilistic", true, "Report probabilities (else decision values)");
    entry.params.Choice("target", "classes", {"classes", "mean"}, "What to predict");
    entry.capabilities = {"binary", "multiclass", "regression", "dense"};
    if (name == "prior") entry.capabilities.push_back(ml::capability::kWeights);
    entry.factory.tasks = {ml::Task::kBinary, ml::Task::kMulticlass, ml::Task::kRegression};
    entry.factory.create =
        [name](const core::ParamMap& params) -> core::Result<std::unique_ptr<ml::Estimator>> {
      return std::unique_ptr<ml::Estimator>(new PriorEstimator(name, params));
    };
    entry.factory.load = [](const core::ArrayFileReader& file,
                            ml::ModelInfo info) -> core::Result<std::unique_ptr<ml::Model>> {
      const nlohmann::json& body = file.meta()["body"];
      if (!body.contains("scores")) return core::Corrupt("{}: no scores", file.path());
      return std::unique_ptr<ml::Model>(new PriorModel(std::move(info),
                                                       body["scores"].get<std::vector<double>>(),
                                                       body.value("probabilistic", true)));
    };
    KILN_RETURN_IF_ERROR(registry.Register(std::move(entry)));
  }
  return core::Status::Ok();
}

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
  std::string log;  // everything logged, at debug level and up
};

// cli::Run in-process with `registrar`'s algorithms (the test ones by default), `reader` and
// memory streams.
inline RunResult RunKiln(const std::vector<std::string>& args, DatasetReader reader,
                         core::CancellationToken* cancel = nullptr,
                         AlgorithmRegistrar registrar = RegisterTestAlgorithms) {
  std::ostringstream out, err;
  auto logger = core::Logger::Memory(core::LogLevel::kDebug);
  CliEnv env;
  env.out = &out;
  env.err = &err;
  env.logger = logger.get();
  env.cancel = cancel;
  env.register_algorithms = std::move(registrar);
  env.read_dataset = std::move(reader);
  RunResult r;
  r.code = cli::Run(args, env);
  r.out = out.str();
  r.err = err.str();
  r.log = logger->lines();
  return r;
}

// A fresh directory under the system temp dir, removed with everything in it by the destructor.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            fmt::format("kiln_cli_test_{}_{}", ::getpid(), counter.fetch_add(1));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string Path(const std::string& name) const { return (path_ / name).string(); }
  std::string Write(const std::string& name, const std::string& contents) const {
    std::ofstream(Path(name), std::ios::binary) << contents;
    return Path(name);
  }

 private:
  std::filesystem::path path_;
};

}  // namespace kiln::cli::clitest
