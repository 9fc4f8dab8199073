// The per-coordinate rule that trains a factorization machine in the linear module's
// deterministic mini-batch engine (linear/minibatch.h).
//
// The engine adds up per-feature contributions to K "margins" per row; an FM's score is not linear
// in its parameters, but it is a function of F + 2 such sums, which are:
//     z_0 = w0 + Σ_j w_j x_j,   z_{1+f} = Σ_j v_jf x_j,   z_{F+1} = Σ_j Σ_f v_jf² x_j²,
//     m = z_0 + ½ (Σ_f z_{1+f}² − z_{F+1}).
// FmLoss turns them into the row's loss with ∂loss/∂z = g·(1, z_1..z_F, −½) (g = ∂loss/∂m), and
// the rule's Step recovers each parameter's gradient from those: ∂/∂w_j = g x_j and
// ∂/∂v_jf = g (x_j z_{1+f} − v_jf x_j²) = ∂z_{1+f} · x_j + 2 ∂z_{F+1} · v_jf x_j².
// Regularisation (l2 on w, l2_factors on v) is applied at each step where a feature is present,
// as libFM's SGD does. Solvers: sgd (η/√(1 + t/n)), adagrad (per-coordinate η/√(1 + Σg²), both
// for w and v; the accumulators start at 1 as libffm's), ftrl (FTRL-proximal on w0 and w with
// l1/l2, Adagrad on v).
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "../linear/objectives.h"
#include "../linear/online.h"

namespace kiln::algorithms::fm {

struct FmRuleOptions {
  linear::OnlineMethod method = linear::OnlineMethod::kAdagrad;
  size_t factors = 8;
  double learning_rate = 0.1;         // w: SGD η0, Adagrad η, FTRL α
  double factor_learning_rate = 0.1;  // v: SGD η0 or Adagrad η
  double ftrl_beta = 1.0;
  double l1 = 0;          // FTRL only
  double l2 = 0;          // on w
  double l2_factors = 0;  // on v
  double rows = 1;        // n, for the SGD schedule
};

// The loss of a row from its F + 2 sums (see above).
inline double FmLoss(linear::Loss loss, size_t factors, const double* z, double y, double* dz) {
  double pairs = 0;
  for (size_t f = 0; f < factors; ++f) pairs += z[1 + f] * z[1 + f];
  const double m = z[0] + 0.5 * (pairs - z[1 + factors]);
  double g = 0;
  const double value = linear::RowLoss(loss, &m, 1, y, &g);
  dz[0] = g;
  for (size_t f = 0; f < factors; ++f) dz[1 + f] = g * z[1 + f];
  dz[1 + factors] = -0.5 * g;
  return value;
}

class FmRule {
 public:
  // `v0`: initial factors, d x F row-major.
  FmRule(size_t d, const FmRuleOptions& o, const std::vector<double>& v0)
      : o_(o), f_(o.factors), stride_(2 + 2 * o.factors), state_(d * stride_, 0.0) {
    for (size_t j = 0; j < d; ++j) {
      double* s = &state_[j * stride_];
      if (o.method != linear::OnlineMethod::kFtrl) s[1] = 1.0;
      for (size_t t = 0; t < f_; ++t) {
        s[2 + t] = v0[j * f_ + t];
        s[2 + f_ + t] = 1.0;
      }
    }
    bias_[1] = o.method == linear::OnlineMethod::kFtrl ? 0.0 : 1.0;
  }

  void Margin(size_t j, double x, double, double* z) const {
    const double* s = &state_[j * stride_];
    z[0] += Weight(s) * x;
    double sq = 0;
    for (size_t t = 0; t < f_; ++t) {
      const double p = s[2 + t] * x;
      z[1 + t] += p;
      sq += p * p;
    }
    z[1 + f_] += sq;
  }

  void Step(size_t j, double x, const double* g, double row) {
    double* s = &state_[j * stride_];
    UpdateLinear(s, g[0] * x, o_.l2, row);
    const double x2 = x * x;
    for (size_t t = 0; t < f_; ++t) {
      double& v = s[2 + t];
      const double grad = g[1 + t] * x + 2 * g[1 + f_] * v * x2 + o_.l2_factors * v;
      double& acc = s[2 + f_ + t];
      if (o_.method == linear::OnlineMethod::kSgd) {
        v -= SgdRate(o_.factor_learning_rate, row) * grad;
      } else {
        acc += grad * grad;
        v -= o_.factor_learning_rate / std::sqrt(acc) * grad;
      }
    }
  }

  double Intercept(size_t c, double) const { return c == 0 ? Weight(bias_, false) : 0.0; }
  void StepIntercept(size_t c, double g, double row) {
    if (c == 0) UpdateLinear(bias_, g, 0.0, row, false);
  }
  void Prefetch(size_t j) const { __builtin_prefetch(&state_[j * stride_]); }

  // The trained parameters.
  double bias() const { return Weight(bias_, false); }
  double weight(size_t j) const { return Weight(&state_[j * stride_]); }
  double factor(size_t j, size_t t) const { return state_[j * stride_ + 2 + t]; }

 private:
  double SgdRate(double eta, double row) const { return eta / std::sqrt(1.0 + row / o_.rows); }

  // A linear coordinate s = [w or FTRL z, Adagrad accumulator or FTRL n].
  double Weight(const double* s, bool regularised = true) const {
    if (o_.method != linear::OnlineMethod::kFtrl) return s[0];
    const double l1 = regularised ? o_.l1 : 0.0;
    const double l2 = regularised ? o_.l2 : 0.0;
    if (std::abs(s[0]) <= l1) return 0.0;
    return -(s[0] - std::copysign(l1, s[0])) /
           ((o_.ftrl_beta + std::sqrt(s[1])) / o_.learning_rate + l2);
  }

  void UpdateLinear(double* s, double g, double l2, double row, bool regularised = true) {
    switch (o_.method) {
      case linear::OnlineMethod::kFtrl: {
        const double w = Weight(s, regularised);
        const double n = s[1] + g * g;
        s[0] += g - (std::sqrt(n) - std::sqrt(s[1])) / o_.learning_rate * w;
        s[1] = n;
        return;
      }
      case linear::OnlineMethod::kAdagrad: {
        const double grad = g + l2 * s[0];
        s[1] += grad * grad;
        s[0] -= o_.learning_rate / std::sqrt(s[1]) * grad;
        return;
      }
      case linear::OnlineMethod::kSgd:
        s[0] -= SgdRate(o_.learning_rate, row) * (g + l2 * s[0]);
        return;
    }
  }

  FmRuleOptions o_;
  size_t f_;
  size_t stride_;
  std::vector<double> state_;  // per feature: [w|z, acc|n, v_0..v_F-1, acc_0..acc_F-1]
  double bias_[2] = {0.0, 0.0};
};

}  // namespace kiln::algorithms::fm
