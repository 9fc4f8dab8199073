// LinearModel: the trained model shared by logistic_regression, linear_regression and
// linear_svm — a FeatureEncoder plus K weight vectors over the encoded features and K
// intercepts. Also the fitting steps the three estimators share: labels, encoding, sample and
// class weights, parameter declarations.
//
// Predict is const and thread-safe. The weights are a core::Array so a loaded model keeps
// pointing into the mapped model file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../common/training_data.h"
#include "kiln/core/array.h"
#include "kiln/core/param_spec.h"
#include "kiln/ml/algorithm_registry.h"
#include "kiln/ml/design_matrix.h"
#include "kiln/ml/estimator.h"
#include "kiln/ml/feature_encoder.h"
#include "kiln/ml/model.h"
#include "lbfgs.h"

namespace kiln::algorithms::linear {

// How margins become predictions.
enum class Link {
  kIdentity,  // regression: the margin is the prediction
  kLogistic,  // binary: P(positive) = σ(z)
  kSoftmax,   // multiclass: softmax over K margins
  kDecision,  // SVM: decision values (K = 1 binary, K classes one-vs-rest), not probabilities
};

// Turns one row's K margins into its scores in place (probabilities for logistic and softmax)
// and returns the predicted class, or -1 for regression. Predict and the row predictor share it.
int32_t ApplyLink(Link link, double* z, size_t k);

class LinearModel final : public ml::Model {
 public:
  LinearModel(ml::ModelInfo info, Link link, ml::FeatureEncoder encoder, size_t outputs,
              core::Array<double> weights, core::Array<double> intercept);

  core::Result<ml::Predictions> Predict(const data::DatasetView& view,
                                        core::Context& ctx) const override;
  core::Status Save(core::ArrayFileWriter& writer) const override;
  nlohmann::json Describe() const override;
  std::unique_ptr<ml::RowPredictor> MakeRowPredictor() const override;
  // A RegressionModel with the encoder's preprocessing (ml/pmml_export.h).
  core::Result<std::string> ExportPmml() const override;

  static core::Result<std::unique_ptr<ml::Model>> Load(const core::ArrayFileReader& file,
                                                       ml::ModelInfo info);

  Link link() const { return link_; }
  const ml::FeatureEncoder& encoder() const { return encoder_; }
  size_t outputs() const { return outputs_; }
  // K x d row-major, in the encoded (standardized) feature space.
  const core::Array<double>& weights() const { return weights_; }
  const core::Array<double>& intercept() const { return intercept_; }
  // Margins n x K for already encoded rows.
  std::vector<double> Margins(const ml::DesignMatrix& x, core::ThreadPool& pool) const;

 private:
  Link link_;
  ml::FeatureEncoder encoder_;
  size_t outputs_;
  core::Array<double> weights_;
  core::Array<double> intercept_;
};

// Everything an estimator needs after the shared preparation of the training rows.
using PreparedData = TrainingData;

// Declares the parameters every linear model shares: fit_intercept, standardize, max_onehot,
// hash_buckets (and class_weight for classifiers).
void AddEncoderParams(core::ParamSpec& spec);
void AddClassWeightParam(core::ParamSpec& spec);
ml::FeatureEncoderOptions EncoderOptions(const core::ParamMap& params);

// PrepareTrainingData with the linear models' encoder params (and class_weight for classifiers).
core::Result<PreparedData> Prepare(const std::string& algorithm, const core::ParamMap& params,
                                   bool classification, const ml::TrainInput& input,
                                   core::Context& ctx);

// The L2 penalty to use: the 'l2' parameter when the user gave it; otherwise 0 when l1 > 0
// (a pure lasso / L1 model), else 1/W — the default C = 1 of sklearn and LIBLINEAR, which keeps
// the penalty's weight relative to the data constant as data grows.
double EffectiveL2(const core::ParamMap& params, double total_weight);
inline constexpr const char* kL2Help =
    "Default (not given): 1/W, i.e. sklearn's and LIBLINEAR's default C = 1 (W = rows or sum of "
    "sample weights), or 0 when l1 > 0. ";

// Solver facts for Model::mutable_info().training.extra.
nlohmann::json ReportJson(const SolverReport& report);

}  // namespace kiln::algorithms::linear
