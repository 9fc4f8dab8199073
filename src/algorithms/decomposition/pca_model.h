// PcaModel: the trained model of pca — a FeatureEncoder, the training mean of the encoded
// features and k principal axes (unit vectors, by decreasing explained variance). Transform
// centres each encoded row and projects it on the axes: column pcC = (x − mean)·v_C, divided by
// sqrt(explained variance C) when whiten. Predict returns the same numbers as scores (rows × k).
// Transform and Predict are const and thread-safe; the arrays are core::Arrays (a loaded model
// points into the mapped file).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/core/array.h"
#include "kiln/ml/feature_encoder.h"
#include "kiln/ml/model.h"
#include "kiln/ml/transformer.h"

namespace kiln::algorithms::decomposition {

struct PcaState {
  size_t k = 0;
  bool whiten = false;
  core::Array<double> mean;                      // d
  core::Array<double> components;                // k x d row-major
  core::Array<double> explained_variance;        // k (divisor n - 1, as scikit-learn)
  core::Array<double> explained_variance_ratio;  // k
  double noise_variance = 0;  // mean of the discarded eigenvalues (0 when none are discarded)
};

class PcaModel final : public ml::Model, public ml::Transformer {
 public:
  PcaModel(ml::ModelInfo info, ml::FeatureEncoder encoder, PcaState state);

  core::Result<ml::Predictions> Predict(const data::DatasetView& view,
                                        core::Context& ctx) const override;
  core::Status Save(core::ArrayFileWriter& writer) const override;
  nlohmann::json Describe() const override;
  const ml::Transformer* AsTransformer() const override { return this; }

  core::Result<data::Dataset> Transform(const data::DatasetView& view,
                                        core::Context& ctx) const override;
  bool sparse_output() const override { return false; }
  std::vector<std::string> OutputNames() const override;

  static core::Result<std::unique_ptr<ml::Model>> Load(const core::ArrayFileReader& file,
                                                       ml::ModelInfo info);

 private:
  // rows x k row-major projections of the view's rows.
  core::Result<std::vector<double>> Project(const data::DatasetView& view,
                                            core::Context& ctx) const;

  ml::FeatureEncoder encoder_;
  PcaState state_;
};

}  // namespace kiln::algorithms::decomposition
