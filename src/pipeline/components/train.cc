// train.<algorithm>: one component per registered algorithm, whose params are the algorithm's
// ParamSpec. Fits on `train` (its label is the target; clustering needs none), reports metrics on
// `valid` when bound, and records a run of kind "train" (params, metrics) linked to the step.
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "common.h"
#include "kiln/ml/evaluation.h"
#include "model_common.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

class Train final : public Component {
 public:
  Train(const ml::AlgorithmEntry& algorithm, const core::ParamMap& params)
      : algorithm_(algorithm), params_(params) {}

  Status Run(StepContext& step) override {
    KILN_ASSIGN_OR_RETURN(data::Dataset train, step.ReadDataset(step.Input("train")));
    const auto& tasks = algorithm_.factory.tasks;
    const bool unsupervised = std::any_of(tasks.begin(), tasks.end(), ml::LearnsWithoutLabel);
    if (train.label() == nullptr && !unsupervised)
      return core::InvalidArgument(
          "{}: the training data has no label (give the read step a label column)",
          algorithm_.name);
    std::optional<data::Dataset> valid;
    if (step.HasInput("valid")) {
      KILN_ASSIGN_OR_RETURN(valid, step.ReadDataset(step.Input("valid")));
    }
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<ml::Estimator> estimator,
                          algorithm_.factory.create(params_));
    ml::TrainInput input{data::DatasetView(train), std::nullopt};
    if (valid) input.valid = data::DatasetView(*valid);
    const auto start = std::chrono::steady_clock::now();
    Result<std::unique_ptr<ml::Model>> fitted = estimator->Fit(input, step.ctx());
    if (!fitted.ok()) {
      Status s = fitted.status();
      if (s.code() == core::StatusCode::kCancelled) return s;
      return s.AddContext("while training " + algorithm_.name);
    }
    std::unique_ptr<ml::Model> model = std::move(fitted).value();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    KILN_RETURN_IF_ERROR(step.ctx().CheckCancelled("training"));
    ml::TrainingInfo& info = model->mutable_info().training;
    info.rows = train.num_rows();
    info.seconds = seconds;
    info.threads = step.ctx().threads();
    info.seed = step.ctx().seed();
    info.data_path = step.Input("train").uri;
    info.data_hash = step.Input("train").uri.substr(step.Input("train").uri.rfind(':') + 1);
    info.created_at = NowIso();
    info.kiln_version = KILN_VERSION;
    info.extra["pipeline"] = {{"pipeline", step.services().pipeline},
                              {"run", step.services().pipeline_run_id},
                              {"step", step.step()}};
    KILN_RETURN_IF_ERROR(step.WriteModel("model", *model));

    std::map<std::string, double> metrics{{"train_seconds", seconds}};
    std::string note = fmt::format("{} rows in {:.2f}s", train.num_rows(), seconds);
    if (valid) {
      Result<ml::Evaluation> evaluation = EvaluateModel(*model, *valid, step.ctx());
      if (!evaluation.ok())
        return core::Status(evaluation.status()).AddContext("while evaluating on input 'valid'");
      metrics.merge(MetricMap(*evaluation));
      KILN_RETURN_IF_ERROR(step.WriteJson("metrics", ArtifactType::kMetrics, evaluation->ToJson()));
      note += "; valid " + MetricsNote(*evaluation);
    }
    std::map<std::string, std::string> params;
    params["algorithm"] = algorithm_.name;
    for (const auto& [key, value] : params_.values()) params[key] = core::ParamValueToString(value);
    KILN_RETURN_IF_ERROR(step.RecordRun("train", params, metrics).status());
    step.Note(note);
    return Status::Ok();
  }

 private:
  const ml::AlgorithmEntry& algorithm_;
  core::ParamMap params_;
};

}  // namespace

Status RegisterTrain(ComponentRegistry& registry, const ml::AlgorithmRegistry& algorithms) {
  for (const ml::AlgorithmEntry* algorithm : algorithms.List()) {
    ComponentFactory f;
    f.category = "train";
    f.inputs = {{"train", ArtifactType::kDataset, "the training rows (with a label)"},
                {"valid", ArtifactType::kDataset, "rows to report metrics on", true}};
    f.outputs = {{"model", ArtifactType::kModel, "the trained model"},
                 {"metrics", ArtifactType::kMetrics, "metrics on `valid`", false, false, "valid"}};
    f.create = [algorithm](const core::ParamMap& params) -> Result<std::unique_ptr<Component>> {
      return std::unique_ptr<Component>(std::make_unique<Train>(*algorithm, params));
    };
    ComponentEntry entry;
    entry.name = "train." + algorithm->name;
    entry.description = "Train " + algorithm->name + ": " + algorithm->description;
    entry.params = algorithm->params;
    entry.capabilities = algorithm->capabilities;
    entry.factory = std::move(f);
    KILN_RETURN_IF_ERROR(registry.Register(std::move(entry)));
  }
  return Status::Ok();
}

}  // namespace kiln::pipeline
