// Losses and the regularised empirical-risk objective shared by Kiln's linear models.
//
// Every linear model minimises
//     F(W, b) = Σ_i c_i · loss(y_i, W·x_i + b) + l2/2 · ‖W‖² + l1 · ‖W‖₁
// with c_i = w_i · cw_{y_i} / Σ_j w_j (sample weight times class weight over the total sample
// weight; Σ c_i = 1 without class weights)
// over K weight vectors W (K x d) and intercepts b (K, never regularised by these terms). The
// parameter vector θ is laid out as [W row-major (K·d) | b (K, only with an intercept)].
// Losses: logistic (y ∈ {0,1}, K = 1), softmax (y = class index, K = classes), squared
// (½(y − z)², K = 1), hinge and squared hinge (y ∈ {−1,+1}, K = 1).
// Thread-safety: a SmoothObjective owns scratch buffers; use one per thread of control.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "kiln/core/thread_pool.h"
#include "kiln/ml/design_matrix.h"

namespace kiln::algorithms::linear {

enum class Loss { kLogistic, kSoftmax, kSquared, kHinge, kSquaredHinge };

// A training problem. `x` is borrowed and must outlive the problem.
struct Problem {
  const ml::DesignMatrix* x = nullptr;
  Loss loss = Loss::kLogistic;
  size_t outputs = 1;     // K
  std::vector<double> y;  // per row, see Loss
  std::vector<double> c;  // per row, c_i as above
  bool fit_intercept = true;
  double l2 = 0;
  double l1 = 0;

  size_t rows() const { return x->rows(); }
  size_t cols() const { return x->cols(); }
  size_t num_weights() const { return outputs * x->cols(); }
  size_t dim() const { return num_weights() + (fit_intercept ? outputs : 0); }
};

// Loss of one row with margins z[0..k) and its derivative d loss / d z into dz.
double RowLoss(Loss loss, const double* z, size_t k, double y, double* dz);

// The smooth part Σ c_i loss_i + l2/2 ‖W‖² (everything but the l1 term) with its gradient.
// Not for hinge loss (not differentiable).
class SmoothObjective {
 public:
  SmoothObjective(const Problem& problem, core::ThreadPool& pool);
  // Value at θ; writes ∇ into grad (same size as θ). Deterministic for any thread count.
  double ValueGradient(std::span<const double> theta, std::span<double> grad);
  // The full objective including l1 (for reporting).
  double Value(std::span<const double> theta);
  // Margins n x K for θ.
  void Margins(std::span<const double> theta, std::vector<double>* z) const;

 private:
  const Problem& p_;
  core::ThreadPool& pool_;
  std::vector<double> z_;
  std::vector<double> dz_;
};

// l1 · ‖W‖₁ (intercepts excluded).
double L1Penalty(const Problem& p, std::span<const double> theta);

}  // namespace kiln::algorithms::linear
