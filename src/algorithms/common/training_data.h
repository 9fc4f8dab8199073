// The first step of training that the algorithms working on encoded features share (linear models,
// naive Bayes, k-means, factorization machines, ...): the label as targets, the FeatureEncoder
// fitted and applied, and the sample and class weights checked and normalised. Also the encoder
// parameters such algorithms declare alike.
#pragma once

#include <string>
#include <vector>

#include "kiln/core/param_spec.h"
#include "kiln/ml/design_matrix.h"
#include "kiln/ml/estimator.h"
#include "kiln/ml/feature_encoder.h"
#include "kiln/ml/model.h"

namespace kiln::algorithms {

// What the label becomes.
enum class Target {
  kClasses,  // classification: class indices
  kNumeric,  // regression: numbers
  kNone,     // clustering: no target (a label column, if any, is only remembered by name)
};

struct TrainingData {
  ml::ModelInfo info;  // algorithm, params, label, schema filled in
  ml::FeatureEncoder encoder;
  ml::DesignMatrix x;
  std::vector<int32_t> classes;  // kClasses: class index per row
  std::vector<double> targets;   // kNumeric: target per row
  // c_i = w_i · cw_{y_i} / W: sample weight times class weight over W = Σ sample weights
  // (so sklearn's C maps to l2 = 1/(C·W) with or without class weights).
  std::vector<double> c;
  std::vector<double> sample_c;       // w_i / W
  std::vector<double> class_weights;  // kClasses: cw per class
  double total_weight = 0;            // W
};

struct PrepareOptions {
  Target target = Target::kClasses;
  ml::FeatureEncoderOptions encoder;
  std::string class_weight = "none";  // kClasses: see ParseClassWeights
};

// Labels, encoding and weights for `algorithm` (params are recorded in info). Errors on no rows,
// missing labels, bad weights, a class_weight naming an unknown class, ...
// With input.collective (every rank calls it with its own rows): labels, encoder, class weights
// and W are those of all ranks' rows, the per-row vectors cover this rank's rows, and an error on
// any rank (a shard without rows, a bad weight) is returned by every rank, naming the rank.
core::Result<TrainingData> PrepareTrainingData(const std::string& algorithm,
                                               const core::ParamMap& params,
                                               const PrepareOptions& options,
                                               const ml::TrainInput& input, core::Context& ctx);

// Parses class_weight ("none", "balanced", or "CLASS:W,CLASS:W") into one weight per class.
core::Result<std::vector<double>> ParseClassWeights(const std::string& text,
                                                    const std::vector<std::string>& classes,
                                                    const std::vector<int32_t>& y);
// The same from the number of rows of each class.
core::Result<std::vector<double>> ParseClassWeights(const std::string& text,
                                                    const std::vector<std::string>& classes,
                                                    const std::vector<double>& class_counts);

// Declares max_onehot and hash_buckets (how categorical columns are encoded), and reads them with
// `standardize` into encoder options.
void AddCategoryParams(core::ParamSpec& spec);
ml::FeatureEncoderOptions CategoryOptions(const core::ParamMap& params, bool standardize);

}  // namespace kiln::algorithms
