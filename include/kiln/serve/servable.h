// Servable: one loaded version of a model that answers inference requests — a Kiln model file,
// an XGBoost JSON model, a PMML document or a custom processor. Created by a processor's loader
// (processor_registry.h), owned by the ServableManager and reached through ServableHandles.
//
// Thread-safety: Infer is const and called from many threads at once; a servable is immutable
// after loading.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/serve/feature_batch.h"

namespace kiln::serve {

// An input or output tensor as the model metadata endpoint describes it. shape uses -1 for the
// batch dimension.
struct TensorSpec {
  std::string name;
  std::string datatype;  // kFp32, kFp64, kInt64, kBytes
  std::vector<int64_t> shape;
};

struct ServableMetadata {
  std::string platform;  // "kiln", "xgboost_json", "pmml", "custom:<name>"
  // Named features, one tensor each, in the model's order (a [N, F] tensor takes them in this
  // order).
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

// One row with every input missing (NaN numbers, empty texts): exercises a servable's whole
// predict path without real data (warm-up, probing what a model answers).
FeatureBatch MissingRow(const ServableMetadata& metadata);

class Servable {
 public:
  virtual ~Servable() = default;
  Servable() = default;
  Servable(const Servable&) = delete;
  Servable& operator=(const Servable&) = delete;

  virtual const ServableMetadata& metadata() const = 0;
  // Predicts every row of `batch`. Errors (kInvalidArgument / kDataError) name the feature and
  // the problem: a missing feature, text for a numeric feature, a wrong row count.
  virtual core::Result<InferenceOutput> Infer(const FeatureBatch& batch) const = 0;
  // Bytes this version holds (model arrays, trees), for /metrics and memory accounting.
  virtual size_t memory_bytes() const = 0;
};

}  // namespace kiln::serve
