// FmModel: the trained model of fm (factorization machine, Rendle 2010) — a FeatureEncoder, a
// bias w0, linear weights w and F factors v_j per encoded feature:
//     m(x) = w0 + Σ_j w_j x_j + ½ Σ_f [(Σ_j v_jf x_j)² − Σ_j v_jf² x_j²]
// (every pair of features interacts through ⟨v_i, v_j⟩). Binary: P(positive) = σ(m);
// regression: m. Predict and the row predictor score each row with Margin(), over its nonzero
// features in ascending order, so they agree bit for bit. Predict is const and thread-safe; the
// arrays are core::Arrays (a loaded model points into the mapped file).
#pragma once

#include <memory>
#include <span>

#include <nlohmann/json.hpp>

#include "kiln/core/array.h"
#include "kiln/ml/algorithm_registry.h"
#include "kiln/ml/feature_encoder.h"
#include "kiln/ml/model.h"

namespace kiln::algorithms::fm {

class FmModel final : public ml::Model {
 public:
  FmModel(ml::ModelInfo info, ml::FeatureEncoder encoder, size_t factors, double bias,
          core::Array<double> weights, core::Array<double> factor_weights);

  core::Result<ml::Predictions> Predict(const data::DatasetView& view,
                                        core::Context& ctx) const override;
  core::Status Save(core::ArrayFileWriter& writer) const override;
  nlohmann::json Describe() const override;
  std::unique_ptr<ml::RowPredictor> MakeRowPredictor() const override;

  static core::Result<std::unique_ptr<ml::Model>> Load(const core::ArrayFileReader& file,
                                                       ml::ModelInfo info);

  const ml::FeatureEncoder& encoder() const { return encoder_; }
  bool classification() const { return info().label.is_classification(); }
  // m(x) for one row's nonzero entries (features ascending); `sums` is scratch of factors() values.
  double Margin(std::span<const uint32_t> features, std::span<const float> values,
                double* sums) const;
  // The row's score (P(positive) or the value) from its margin; the class (or -1).
  int32_t Finish(double margin, double* score) const;
  size_t factors() const { return factors_; }

 private:
  ml::FeatureEncoder encoder_;
  size_t factors_;
  double bias_;
  core::Array<double> w_;  // d
  core::Array<double> v_;  // d x F row-major
};

}  // namespace kiln::algorithms::fm
