// GbdtModel: a trained gradient-boosted tree ensemble. Margins are base scores plus the values
// of the trees (tree t adds to output t % K, K = outputs), turned into predictions by the
// objective's link (sigmoid, softmax or identity). Trees read raw feature values by column name
// (feature_rows.h), so the model needs no bins at prediction time.
//
// The trees load by mmap from the model file (forest.h). Predict is const and thread-safe.
#pragma once

#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "feature_rows.h"
#include "forest.h"
#include "kiln/ml/model.h"
#include "objective.h"

namespace kiln::algorithms::tree {

struct GbdtState {
  ObjectiveKind objective = ObjectiveKind::kSquaredError;
  size_t num_classes = 0;  // classification
  double huber_delta = 1;
  double quantile_alpha = 0.5;
  std::vector<double> base_scores;  // one per output
  std::vector<FeatureInfo> features;
  Forest forest;
};

class GbdtModel final : public ml::Model {
 public:
  GbdtModel(ml::ModelInfo info, GbdtState state);

  core::Result<ml::Predictions> Predict(const data::DatasetView& view,
                                        core::Context& ctx) const override;
  core::Status Save(core::ArrayFileWriter& writer) const override;
  nlohmann::json Describe() const override;
  std::unique_ptr<ml::RowPredictor> MakeRowPredictor() const override;
  // A MiningModel (sum of TreeModels, then the link) scoring like Predict.
  core::Result<std::string> ExportPmml() const override;

  static core::Result<std::unique_ptr<ml::Model>> Load(const core::ArrayFileReader& file,
                                                       ml::ModelInfo info);

  const GbdtState& state() const { return state_; }
  const Objective& objective() const { return objective_; }
  size_t outputs() const { return objective_.outputs(); }
  // Raw margins (n x outputs, before the link) of the view's rows.
  core::Result<std::vector<double>> Margins(const data::DatasetView& view,
                                            core::ThreadPool& pool) const;
  // Margins of one row of feature values (base scores plus every tree), into z[outputs()].
  void RowMargins(const float* x, double* z) const;

 private:
  GbdtState state_;
  Objective objective_;
};

// Adds trees [first, last) of `forest` to margins (rows x k, tree t adds to output t % k) of
// rows given as feature values (rows x d floats, row-major). Each margin gets the trees' values
// in tree order, exactly as RowMargins sums them.
void AddTreeMargins(const Forest& forest, size_t first, size_t last, size_t k, const float* x,
                    size_t rows, size_t d, double* margins);

}  // namespace kiln::algorithms::tree
