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

#include "kiln/core/cancellation.h"
#include "kiln/core/thread_pool.h"
#include "kiln/dist/collective.h"
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
//
// Data-parallel: with a collective, the problem holds this rank's rows (c_i normalised by the
// total weight of all ranks) and ValueGradient sums the loss and its gradient over the ranks
// (AllReduce, bit-identical on every rank) before adding the penalty, so every rank sees the
// objective of all rows and a solver running on every rank takes the same steps. Each call also
// sums the ranks' `cancel` flags: once any rank was cancelled, agreed_cancellation() is set on
// every rank after the same call — solvers poll it instead of the local token. A failing
// collective makes ValueGradient return NaN and status() the error; check it after solving.
class SmoothObjective {
 public:
  SmoothObjective(const Problem& problem, core::ThreadPool& pool,
                  dist::Collective* collective = nullptr,
                  const core::CancellationToken* cancel = nullptr);
  // Value at θ; writes ∇ into grad (same size as θ). Deterministic for any thread count.
  double ValueGradient(std::span<const double> theta, std::span<double> grad);
  // OK, or why the last collective sum failed.
  const core::Status& status() const { return status_; }
  // With a collective: the cancellation every rank agreed on; nullptr without one.
  const core::CancellationToken* agreed_cancellation() const {
    return collective_ != nullptr ? &agreed_cancel_ : nullptr;
  }
  // The full objective including l1 (for reporting).
  double Value(std::span<const double> theta);
  // Margins n x K for θ.
  void Margins(std::span<const double> theta, std::vector<double>* z) const;

 private:
  const Problem& p_;
  core::ThreadPool& pool_;
  dist::Collective* collective_;
  const core::CancellationToken* cancel_;
  core::CancellationToken agreed_cancel_;
  core::Status status_;
  std::vector<double> z_;
  std::vector<double> dz_;
  std::vector<double> sum_;  // collective: [∇ of the loss | loss | cancelled]
};

// l1 · ‖W‖₁ (intercepts excluded).
double L1Penalty(const Problem& p, std::span<const double> theta);

}  // namespace kiln::algorithms::linear
