// NaiveBayesModel: the trained model of naive_bayes — a FeatureEncoder, class log priors and, per
// class and encoded feature, either a Gaussian (mean θ, variance σ²) or a log probability
// (multinomial: of the feature's share of the counts; Bernoulli: of the feature being present).
//
// Joint log-likelihoods, as scikit-learn's GaussianNB / MultinomialNB / BernoulliNB:
//   gaussian     jll_c = log π_c − ½ Σ_j log(2π σ²_cj) − ½ Σ_j (x_j − θ_cj)² / σ²_cj
//   multinomial  jll_c = log π_c + Σ_j x_j · log p_cj
//   bernoulli    jll_c = log π_c + Σ_j [b_j log p_cj + (1 − b_j) log(1 − p_cj)],
//                b_j = 1 when x_j > binarize
// Probabilities are exp(jll_c − logsumexp(jll)), computed in log space; the class is the first
// largest jll. Predict and the row predictor score each row with the same function, in ascending
// feature order, so they agree bit for bit. Predict is const and thread-safe; the arrays are
// core::Arrays so a loaded model points into the mapped model file.
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/core/array.h"
#include "kiln/ml/algorithm_registry.h"
#include "kiln/ml/feature_encoder.h"
#include "kiln/ml/model.h"

namespace kiln::algorithms::bayes {

enum class Variant { kGaussian, kMultinomial, kBernoulli };
std::string_view VariantName(Variant variant);
core::Result<Variant> ParseVariant(std::string_view name);

// What a fitted variant keeps; arrays are K x d row-major where two-dimensional.
struct NaiveBayesState {
  Variant variant = Variant::kGaussian;
  size_t classes = 0;
  size_t features = 0;
  core::Array<double> class_log_prior;   // K
  core::Array<double> theta;             // gaussian: means
  core::Array<double> var;               // gaussian: variances (smoothing included)
  core::Array<double> feature_log_prob;  // multinomial / bernoulli: log p_cj
  double binarize = 0;                   // bernoulli threshold
};

class NaiveBayesModel final : public ml::Model {
 public:
  NaiveBayesModel(ml::ModelInfo info, ml::FeatureEncoder encoder, NaiveBayesState state);

  core::Result<ml::Predictions> Predict(const data::DatasetView& view,
                                        core::Context& ctx) const override;
  core::Status Save(core::ArrayFileWriter& writer) const override;
  nlohmann::json Describe() const override;
  std::unique_ptr<ml::RowPredictor> MakeRowPredictor() const override;

  static core::Result<std::unique_ptr<ml::Model>> Load(const core::ArrayFileReader& file,
                                                       ml::ModelInfo info);

  const NaiveBayesState& state() const { return s_; }
  const ml::FeatureEncoder& encoder() const { return encoder_; }
  // Scores per row: 1 (binary: P(class 1)) or K probabilities.
  size_t width() const { return s_.classes == 2 ? 1 : s_.classes; }

  // One row's joint log-likelihoods into jll[0..K). Gaussian reads the dense row (d values);
  // the discrete variants read the row's nonzero entries (features ascending).
  void GaussianJll(const float* row, double* jll) const;
  void DiscreteJll(std::span<const uint32_t> features, std::span<const float> values,
                   double* jll) const;
  // Turns jll into the row's scores (width() values) and returns the class.
  int32_t Finish(double* jll, double* scores) const;

 private:
  ml::FeatureEncoder encoder_;
  NaiveBayesState s_;
  // Derived when the model is built (never saved, so a loaded model derives the same values).
  std::vector<double> base_;   // per class: log π_c (+ −½ Σ log 2πσ², or + Σ log(1 − p))
  std::vector<double> delta_;  // bernoulli: log p − log(1 − p), K x d
};

}  // namespace kiln::algorithms::bayes
