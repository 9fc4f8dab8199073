// compare_models: every model of `models` scored on the same `data`; the best by one metric is
// passed on as `best`, with a report of every model's metrics.
#include <cmath>

#include <fmt/format.h>

#include "common.h"
#include "model_common.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

class CompareModels final : public Component {
 public:
  explicit CompareModels(const core::ParamMap& params) : params_(params) {}

  Status Run(StepContext& step) override {
    KILN_ASSIGN_OR_RETURN(data::Dataset ds, step.ReadDataset(step.Input("data")));
    const std::vector<Artifact>& models = step.Inputs("models");
    std::string metric = params_.GetString("metric");
    nlohmann::json rows = nlohmann::json::array();
    int best = -1;
    double best_value = 0;
    bool higher = true;
    for (size_t i = 0; i < models.size(); ++i) {
      KILN_ASSIGN_OR_RETURN(std::unique_ptr<ml::Model> model, step.ReadModel(models[i]));
      Result<ml::Evaluation> evaluation = EvaluateModel(*model, ds, step.ctx());
      if (!evaluation.ok())
        return core::Status(evaluation.status())
            .AddContext(fmt::format("model {} of {}", i + 1, models.size()));
      if (metric.empty()) metric = DefaultMetric(model->info().label.task);
      const std::string& direction = params_.GetString("direction");
      higher = direction == "auto" ? HigherIsBetter(metric) : direction == "max";
      const double value = evaluation->Get(metric);
      if (std::isnan(value)) {
        std::vector<std::string> names;
        for (const auto& [name, _] : evaluation->metrics) names.push_back(name);
        return core::InvalidArgument("compare_models: model {} has no metric '{}'; it has: {}",
                                     i + 1, metric, fmt::join(names, ", "));
      }
      rows.push_back({{"index", i},
                      {"uri", models[i].uri},
                      {"algorithm", model->info().algorithm},
                      {"metrics", evaluation->ToJson()}});
      if (best < 0 || (higher ? value > best_value : value < best_value)) {
        best = static_cast<int>(i);
        best_value = value;
      }
    }
    const Artifact& chosen = models[static_cast<size_t>(best)];
    KILN_RETURN_IF_ERROR(
        step.WriteExisting("best", ArtifactType::kModel, chosen.uri, chosen.summary));
    step.Note(fmt::format("best: model {} of {} ({} {:.4f})", best + 1, models.size(), metric,
                          best_value));
    return step.WriteJson("report", ArtifactType::kReport,
                          {{"metric", metric},
                           {"higher_is_better", higher},
                           {"best", best},
                           {"best_value", best_value},
                           {"models", rows}});
  }

 private:
  core::ParamMap params_;
};

}  // namespace

Status RegisterCompareModels(ComponentRegistry& registry) {
  core::ParamSpec p("compare_models");
  p.String("metric", "", "the metric to rank by (default: auc, accuracy or r2 by task)");
  p.Choice("direction", "auto", {"auto", "max", "min"},
           "auto: larger is better except for losses and errors (logloss, rmse, mae)");
  ComponentFactory f;
  f.category = "evaluate";
  f.inputs = {{"models", ArtifactType::kModel, "the candidates", false, true},
              {"data", ArtifactType::kDataset, "labelled rows every model is scored on"}};
  f.outputs = {{"best", ArtifactType::kModel, "the best model"},
               {"report", ArtifactType::kReport, "every model's metrics and the choice"}};
  f.create = Make<CompareModels>();
  return Add(registry, "compare_models", "Score several models on the same data; keep the best",
             std::move(p), std::move(f));
}

}  // namespace kiln::pipeline
