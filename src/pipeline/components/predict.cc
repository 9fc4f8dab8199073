// predict and evaluate: a model applied to a dataset. predict writes the predictions as a
// dataset (the prediction, then p_<class> per class or the score; for clustering the cluster and
// the distance to its centre; and the true label when the data has one); evaluate writes every
// metric of the task and records a run of kind "evaluate".
#include <cmath>

#include <fmt/format.h>

#include "common.h"
#include "model_common.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

data::Dataset PredictionsDataset(const ml::Model& model, const data::Dataset& ds,
                                 const ml::Predictions& p) {
  const ml::LabelInfo& label = model.info().label;
  std::vector<data::Column> columns;
  if (label.is_clustering()) {
    std::vector<float> cluster(p.rows), distance(p.rows);
    for (size_t r = 0; r < p.rows; ++r) {
      cluster[r] = static_cast<float>(p.classes[r]);
      distance[r] = p.width() > 0 ? static_cast<float>(p.score(r)) : NAN;
    }
    columns.push_back(data::Column::Numeric("cluster", std::move(cluster)));
    columns.push_back(data::Column::Numeric("distance", std::move(distance)));
  } else if (label.is_classification()) {
    std::vector<int32_t> codes(p.rows);
    for (size_t r = 0; r < p.rows; ++r) codes[r] = p.classes[r];
    columns.push_back(data::Column::Categorical("prediction", std::move(codes), label.classes));
    const std::string prefix = p.probabilistic ? "p_" : "score_";
    if (p.width() == 1) {
      std::vector<float> v(p.rows);
      for (size_t r = 0; r < p.rows; ++r) v[r] = static_cast<float>(p.score(r));
      columns.push_back(data::Column::Numeric(prefix + label.classes.back(), std::move(v)));
    } else {
      for (size_t k = 0; k < p.width(); ++k) {
        std::vector<float> v(p.rows);
        for (size_t r = 0; r < p.rows; ++r) v[r] = static_cast<float>(p.score(r, k));
        columns.push_back(data::Column::Numeric(prefix + label.classes[k], std::move(v)));
      }
    }
  } else {
    std::vector<float> v(p.rows);
    for (size_t r = 0; r < p.rows; ++r) v[r] = static_cast<float>(p.score(r));
    columns.push_back(data::Column::Numeric("prediction", std::move(v)));
  }
  std::optional<data::Column> truth;
  if (ds.label() != nullptr) truth = *ds.label();
  data::Dataset out = data::Dataset::Dense(std::move(columns), std::move(truth), ds.weights());
  out.set_source(ds.source());
  return out;
}

class Predict final : public Component {
 public:
  explicit Predict(const core::ParamMap&) {}

  Status Run(StepContext& step) override {
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<ml::Model> model, step.ReadModel(step.Input("model")));
    KILN_ASSIGN_OR_RETURN(data::Dataset ds, step.ReadDataset(step.Input("data")));
    KILN_ASSIGN_OR_RETURN(ml::Predictions p, PredictChecked(*model, ds, step.ctx()));
    step.Note(fmt::format("{} rows", ds.num_rows()));
    return step.WriteDataset("predictions", PredictionsDataset(*model, ds, p));
  }
};

class Evaluate final : public Component {
 public:
  explicit Evaluate(const core::ParamMap&) {}

  Status Run(StepContext& step) override {
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<ml::Model> model, step.ReadModel(step.Input("model")));
    KILN_ASSIGN_OR_RETURN(data::Dataset ds, step.ReadDataset(step.Input("data")));
    KILN_ASSIGN_OR_RETURN(ml::Evaluation evaluation, EvaluateModel(*model, ds, step.ctx()));
    KILN_RETURN_IF_ERROR(step.WriteJson("metrics", ArtifactType::kMetrics, evaluation.ToJson()));
    KILN_RETURN_IF_ERROR(step.RecordRun("evaluate",
                                        {{"algorithm", model->info().algorithm},
                                         {"model", step.Input("model").uri},
                                         {"data", step.Input("data").uri}},
                                        MetricMap(evaluation))
                             .status());
    step.Note(MetricsNote(evaluation));
    return Status::Ok();
  }
};

std::vector<PortDef> ModelAndData() {
  return {{"model", ArtifactType::kModel, "the model"},
          {"data", ArtifactType::kDataset, "rows with the model's feature columns"}};
}

}  // namespace

Status RegisterPredict(ComponentRegistry& registry) {
  ComponentFactory f;
  f.category = "evaluate";
  f.inputs = ModelAndData();
  f.outputs = {{"predictions", ArtifactType::kDataset,
                "prediction (and p_<class> per class), with the true label when known"}};
  f.create = Make<Predict>();
  return Add(registry, "predict", "Predict with a model", core::ParamSpec("predict"), std::move(f));
}

Status RegisterEvaluate(ComponentRegistry& registry) {
  ComponentFactory f;
  f.category = "evaluate";
  f.inputs = ModelAndData();
  f.inputs[1].help = "labelled rows to score the model on";
  f.outputs = {{"metrics", ArtifactType::kMetrics,
                "binary: auc, logloss, accuracy, precision, recall, f1; multiclass: accuracy, "
                "logloss, f1 (macro/micro/weighted), ...; regression: rmse, mae, r2"}};
  f.create = Make<Evaluate>();
  return Add(registry, "evaluate",
             "Score a model on labelled data (binary, multiclass or regression metrics)",
             core::ParamSpec("evaluate"), std::move(f));
}

}  // namespace kiln::pipeline
