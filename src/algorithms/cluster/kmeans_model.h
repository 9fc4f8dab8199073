// KMeansModel: the trained model of kmeans — a FeatureEncoder and k centres in the encoded
// feature space. Predict assigns each row to its nearest centre by exact squared Euclidean
// distance (ties to the lower index) and scores it with the distance to that centre; the row
// predictor does the same arithmetic (kmeans_points.h: ExactDistances), so both agree bit for bit.
// Predict is const and thread-safe; the centres are a core::Array (a loaded model points into the
// mapped file).
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "kiln/core/array.h"
#include "kiln/ml/algorithm_registry.h"
#include "kiln/ml/clustering.h"
#include "kiln/ml/feature_encoder.h"
#include "kmeans_points.h"

namespace kiln::algorithms::cluster {

class KMeansModel final : public ml::ClusterModel {
 public:
  KMeansModel(ml::ModelInfo info, ml::FeatureEncoder encoder, size_t k,
              core::Array<double> centres);

  core::Result<ml::Predictions> Predict(const data::DatasetView& view,
                                        core::Context& ctx) const override;
  core::Status Save(core::ArrayFileWriter& writer) const override;
  nlohmann::json Describe() const override;
  std::unique_ptr<ml::RowPredictor> MakeRowPredictor() const override;
  core::Result<ml::DesignMatrix> Points(const data::DatasetView& view,
                                        core::Context& ctx) const override;

  static core::Result<std::unique_ptr<ml::Model>> Load(const core::ArrayFileReader& file,
                                                       ml::ModelInfo info);

  size_t k() const { return k_; }
  const ml::FeatureEncoder& encoder() const { return encoder_; }
  const core::Array<double>& centres() const { return centres_; }
  const ExactCentres& exact() const { return exact_; }

 private:
  ml::FeatureEncoder encoder_;
  size_t k_;
  core::Array<double> centres_;  // k x d row-major
  ExactCentres exact_;
};

}  // namespace kiln::algorithms::cluster
