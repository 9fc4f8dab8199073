// transform: a transform model (pca, tfidf) applied to a dataset; writes the new features (dense
// columns or sparse rows) with the input's label and weights carried through, ready for a train
// step. The model usually comes from a train.pca / train.tfidf step.
#include <fmt/format.h>

#include "common.h"
#include "model_common.h"
#include "register.h"

namespace kiln::pipeline {

using core::Status;

namespace {

class Transform final : public Component {
 public:
  explicit Transform(const core::ParamMap&) {}

  Status Run(StepContext& step) override {
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<ml::Model> model, step.ReadModel(step.Input("model")));
    const ml::Transformer* transformer = model->AsTransformer();
    if (transformer == nullptr) {
      return core::InvalidArgument(
          "input 'model' is a {} model ({}), not a transform; use a predict step (transform "
          "models are pca and tfidf)",
          ml::TaskName(model->info().label.task), model->info().algorithm);
    }
    KILN_ASSIGN_OR_RETURN(data::Dataset ds, step.ReadDataset(step.Input("data")));
    KILN_RETURN_IF_ERROR(CheckModelInput(*model, ds));
    KILN_ASSIGN_OR_RETURN(data::Dataset out,
                          transformer->Transform(data::DatasetView(ds), step.ctx()));
    out.set_source(ds.source());
    step.Note(fmt::format("{} rows -> {} features{}", out.num_rows(), out.num_features(),
                          out.is_sparse() ? " (sparse)" : ""));
    return step.WriteDataset("data", out);
  }
};

}  // namespace

Status RegisterTransform(ComponentRegistry& registry) {
  ComponentFactory f;
  f.category = "transform";
  f.inputs = {{"model", ArtifactType::kModel, "a transform model (train.pca, train.tfidf)"},
              {"data", ArtifactType::kDataset, "rows with the model's input columns"}};
  f.outputs = {{"data", ArtifactType::kDataset,
                "the new features (pca: pc1..pcK; tfidf: sparse vocabulary columns), label "
                "carried through"}};
  f.create = Make<Transform>();
  return Add(registry, "transform",
             "Apply a transform model (PCA, TF-IDF) to a dataset, keeping its label",
             core::ParamSpec("transform"), std::move(f));
}

}  // namespace kiln::pipeline
