// OneVsRestModel: the trained model of one_vs_rest — one binary model of the base algorithm per
// class (class k against the rest), or a single one for two classes. Scores are the parts'
// P(class k) normalised to sum to 1 (as scikit-learn's OneVsRestClassifier), or, for a base
// without probabilities (linear_svm), their decision values; the class is the first largest.
// All parts live in the one model file: each saves its arrays under the prefix "part<k>/" and its
// body in the body's "parts" list. Predict is const and thread-safe (as the parts' Predict).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/ml/algorithm_registry.h"
#include "kiln/ml/model.h"

namespace kiln::algorithms::ensemble {

class OneVsRestModel final : public ml::Model {
 public:
  // `parts`: K binary models (K = classes), or one for a binary task; `probabilistic`: whether
  // their scores are probabilities.
  OneVsRestModel(ml::ModelInfo info, std::string base,
                 std::vector<std::unique_ptr<ml::Model>> parts, bool probabilistic);

  core::Result<ml::Predictions> Predict(const data::DatasetView& view,
                                        core::Context& ctx) const override;
  core::Status Save(core::ArrayFileWriter& writer) const override;
  nlohmann::json Describe() const override;
  std::unique_ptr<ml::RowPredictor> MakeRowPredictor() const override;

  // Restores the parts with the base algorithm's `load`.
  static core::Result<std::unique_ptr<ml::Model>> Load(const core::ArrayFileReader& file,
                                                       ml::ModelInfo info,
                                                       const ml::AlgorithmFactory& base);

  const std::vector<std::unique_ptr<ml::Model>>& parts() const { return parts_; }
  bool probabilistic() const { return probabilistic_; }
  size_t width() const { return parts_.size() == 1 ? 1 : parts_.size(); }
  // One row's part scores (K values: P(class k) or decision values) into its scores (width()
  // values); returns the class. Predict and the row predictor share it.
  int32_t Combine(const double* part_scores, double* scores) const;

 private:
  std::string base_;
  std::vector<std::unique_ptr<ml::Model>> parts_;
  bool probabilistic_ = true;
};

// The ModelInfo of a part: the base algorithm and params, a binary label over `classes`, the
// ensemble's schema.
ml::ModelInfo PartInfo(const ml::ModelInfo& ensemble, const std::string& base,
                       const nlohmann::json& params, const ml::LabelInfo& label);

}  // namespace kiln::algorithms::ensemble
