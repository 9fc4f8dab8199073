// Model: a trained model. Predicts on rows laid out like its training data (by column name for
// dense data, by feature index for sparse data), saves itself into a model file, describes
// itself for `kiln inspect` and, where it can, writes itself as PMML for `kiln export`.
//
// ModelInfo: the self-describing header every model file carries.
// Thread-safety: Predict is const and safe to call from several threads at once.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "kiln/core/array_file.h"
#include "kiln/core/context.h"
#include "kiln/core/result.h"
#include "kiln/data/dataset_view.h"
#include "kiln/data/schema.h"
#include "kiln/ml/predictions.h"
#include "kiln/ml/row_predictor.h"
#include "kiln/ml/task.h"
#include "kiln/ml/transformer.h"

namespace kiln::ml {

struct TrainingInfo {
  uint64_t rows = 0;
  double seconds = 0;
  int threads = 1;
  uint64_t seed = 0;
  std::string data_path;
  std::string data_hash;   // hex XXH3-64 of the training file
  std::string created_at;  // ISO 8601 UTC
  std::string kiln_version;
  nlohmann::json extra = nlohmann::json::object();  // solver iterations, final loss, ...

  nlohmann::json ToJson() const;
  static TrainingInfo FromJson(const nlohmann::json& j);
};

struct ModelInfo {
  std::string algorithm;
  nlohmann::json params = nlohmann::json::object();  // resolved ParamMap, typed
  LabelInfo label;
  data::Schema schema;  // the input features the model expects
  TrainingInfo training;
};

class Model {
 public:
  explicit Model(ModelInfo info) : info_(std::move(info)) {}
  virtual ~Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelInfo& info() const { return info_; }
  ModelInfo& mutable_info() { return info_; }

  virtual core::Result<Predictions> Predict(const data::DatasetView& view,
                                            core::Context& ctx) const = 0;
  // Writes the algorithm's own state: JSON into writer.meta()["body"] and named arrays (which
  // must be members of this model so they outlive the write).
  virtual core::Status Save(core::ArrayFileWriter& writer) const = 0;
  // Algorithm-specific description for `kiln inspect` (coefficients, iterations, ...).
  virtual nlohmann::json Describe() const = 0;
  // A one-row scorer for serving (see row_predictor.h), or nullptr when the model has none and
  // callers go through Predict.
  virtual std::unique_ptr<RowPredictor> MakeRowPredictor() const { return nullptr; }
  // Transform models (task kTransform) return themselves as a Transformer; others nullptr.
  virtual const Transformer* AsTransformer() const { return nullptr; }
  // The model as a PMML document that scores like Predict (`kiln export --format pmml`).
  // kUnimplemented for algorithms (or models) PMML export does not cover, saying why.
  virtual core::Result<std::string> ExportPmml() const {
    return core::Unimplemented("{} models cannot be exported to PMML", info_.algorithm);
  }

 private:
  ModelInfo info_;
};

}  // namespace kiln::ml
