// KilnServable: serves a Kiln model file (kiln train's output). Features arrive by name, as in
// the model's schema; numeric features take numbers, categorical ones take texts (a number is
// taken as its text, so a zip code column works either way).
// Thread-safety: immutable after Load; Infer is safe to call concurrently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kiln/ml/algorithm_registry.h"
#include "kiln/ml/model.h"
#include "kiln/serve/servable.h"

namespace kiln::serve {

class KilnServable final : public Servable {
 public:
  static core::Result<std::unique_ptr<KilnServable>> Load(const std::string& path,
                                                          const ml::AlgorithmRegistry& registry);

  const ServableMetadata& metadata() const override { return metadata_; }
  core::Result<InferenceOutput> Infer(const FeatureBatch& batch) const override;
  size_t memory_bytes() const override { return memory_bytes_; }
  const ml::Model& model() const { return *model_; }

 private:
  KilnServable(std::unique_ptr<ml::Model> model, size_t memory_bytes);
  // The one-row path (no Dataset per request) for models with a RowPredictor; `inputs` holds
  // the batch's column of each schema field.
  core::Result<InferenceOutput> InferRows(size_t rows,
                                          const std::vector<const FeatureColumn*>& inputs) const;

  std::unique_ptr<ml::Model> model_;
  std::unique_ptr<ml::RowPredictor> row_predictor_;  // nullptr: Predict on a Dataset
  ServableMetadata metadata_;
  size_t memory_bytes_;
};

}  // namespace kiln::serve
