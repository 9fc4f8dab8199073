#include "online.h"

#include "ftrl.h"

#include <algorithm>
#include <cmath>

#include "minibatch.h"

namespace kiln::algorithms::linear {
namespace {

constexpr double kEps = 1e-8;

// SGD / Adagrad rule for RunMiniBatches (minibatch.h). The l2 decay and l1 shrinkage of a feature
// are applied lazily, for all rows since it was last brought up to date, when it is next used.
class SgdRule {
 public:
  SgdRule(const Problem& p, const OnlineOptions& o, std::vector<double>& theta)
      : p_(p), o_(o), d_(p.cols()), k_(p.outputs), nw_(p.num_weights()), theta_(theta) {
    if (o.method == OnlineMethod::kAdagrad) acc_.assign(p.dim(), 0.0);
    last_.assign(d_, 0.0);
  }

  void Margin(size_t j, double v, double row, double* z) {
    Decay(j, row - 1);
    for (size_t c = 0; c < k_; ++c) z[c] += theta_[c * d_ + j] * v;
  }
  void Step(size_t j, double v, const double* g, double row) {
    Decay(j, row - 1);
    last_[j] = row;  // Update below applies this row's regularisation
    for (size_t c = 0; c < k_; ++c) Update(c * d_ + j, g[c] * v, true, row);
  }
  double Intercept(size_t c, double) const { return theta_[nw_ + c]; }
  void StepIntercept(size_t c, double g, double row) { Update(nw_ + c, g, false, row); }
  void Prefetch(size_t j) const { __builtin_prefetch(&theta_[j]); }

  // Brings every weight up to date after `rows` rows.
  void Finish(double rows) {
    for (size_t j = 0; j < d_; ++j) Decay(j, rows);
  }

 private:
  // Per-coordinate step size for SGD / Adagrad at row `row`.
  double Rate(size_t i, double row) const {
    if (o_.method == OnlineMethod::kAdagrad) return o_.learning_rate / (std::sqrt(acc_[i]) + kEps);
    return o_.learning_rate / std::sqrt(1.0 + row / static_cast<double>(p_.rows()));
  }

  // Applies the regularisation of rows (last_[j], upto] to feature j's weights.
  void Decay(size_t j, double upto) {
    const double steps = upto - last_[j];
    if (steps <= 0) return;
    last_[j] = upto;
    if (p_.l2 == 0 && p_.l1 == 0) return;
    for (size_t c = 0; c < k_; ++c) {
      const size_t i = c * d_ + j;
      double w = theta_[i];
      if (w == 0) continue;
      const double rate = Rate(i, upto);
      const double eta = std::isfinite(rate) ? rate : 0.0;
      if (p_.l2 > 0) w *= std::pow(std::max(0.0, 1.0 - eta * p_.l2), steps);
      if (p_.l1 > 0) w = std::copysign(std::max(0.0, std::abs(w) - eta * p_.l1 * steps), w);
      theta_[i] = w;
    }
  }

  void Update(size_t i, double g, bool regularised, double row) {
    double w = theta_[i];
    if (regularised) g += p_.l2 * w;
    if (o_.method == OnlineMethod::kAdagrad) acc_[i] += g * g;
    const double eta = Rate(i, row);
    if (!std::isfinite(eta)) return;
    w -= eta * g;
    if (regularised && p_.l1 > 0) w = std::copysign(std::max(0.0, std::abs(w) - eta * p_.l1), w);
    theta_[i] = w;
  }

  const Problem& p_;
  const OnlineOptions& o_;
  size_t d_, k_, nw_;
  std::vector<double>& theta_;
  std::vector<double> acc_;   // Adagrad: Σ g² per coordinate
  std::vector<double> last_;  // per feature: rows whose regularisation is already applied
};

}  // namespace

double DefaultLearningRate(OnlineMethod method) {
  switch (method) {
    case OnlineMethod::kFtrl:
      return 0.2;
    case OnlineMethod::kAdagrad:
      return 0.1;
    case OnlineMethod::kSgd:
      return 0.01;
  }
  return 0.1;
}

core::Result<SolverReport> MinimizeOnline(const Problem& p, const OnlineOptions& options,
                                          std::vector<double>* theta, core::Context& ctx) {
  if (options.method == OnlineMethod::kFtrl) return MinimizeFtrl(p, options, theta, ctx);
  theta->resize(p.dim(), 0.0);
  SgdRule rule(p, options, *theta);
  double t = 0;
  KILN_ASSIGN_OR_RETURN(SolverReport report, RunMiniBatches(p, options, rule, ctx, &t));
  report.solver = options.method == OnlineMethod::kAdagrad ? "adagrad" : "sgd";
  rule.Finish(t);
  return report;
}

}  // namespace kiln::algorithms::linear
