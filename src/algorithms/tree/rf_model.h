// RfModel: a trained decision_tree or random_forest — CART trees (cart.h) whose leaves hold
// class distributions (classification) or means (regression). Predictions average the trees'
// leaves: probabilities are the mean of the leaf distributions (as scikit-learn), the class is
// the most probable one (first on ties); regression predicts the mean of the leaf means.
// Trees read raw feature values by column name (feature_rows.h); they load by mmap from the
// model file (forest.h). Predict is const and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "feature_rows.h"
#include "forest.h"
#include "kiln/core/array.h"
#include "kiln/ml/model.h"

namespace kiln::algorithms::tree {

struct RfState {
  size_t num_classes = 0;  // 0: regression
  std::vector<FeatureInfo> features;
  Forest forest;
  core::Array<double> dist;  // per node: num_classes probabilities, or 1 mean (regression)
};

class RfModel final : public ml::Model {
 public:
  RfModel(ml::ModelInfo info, RfState state);

  core::Result<ml::Predictions> Predict(const data::DatasetView& view,
                                        core::Context& ctx) const override;
  core::Status Save(core::ArrayFileWriter& writer) const override;
  nlohmann::json Describe() const override;
  std::unique_ptr<ml::RowPredictor> MakeRowPredictor() const override;

  static core::Result<std::unique_ptr<ml::Model>> Load(const core::ArrayFileReader& file,
                                                       ml::ModelInfo info);

  const RfState& state() const { return state_; }
  // Values per node of dist: max(num_classes, 1).
  size_t stride() const { return state_.num_classes > 0 ? state_.num_classes : 1; }
  // Scores width: 1 for binary and regression, K for multiclass.
  size_t width() const { return state_.num_classes > 2 ? state_.num_classes : 1; }
  // Averages the trees for one row of feature values into acc[stride()], then writes the
  // scores (width()) and returns the class (-1 for regression).
  int32_t Score(const float* x, double* acc, double* scores) const;

 private:
  RfState state_;
};

}  // namespace kiln::algorithms::tree
