// Cyclic coordinate descent for the elastic net on dense data (Friedman, Hastie & Tibshirani,
// "Regularization paths for generalized linear models via coordinate descent", 2010):
//     minimise Σ_i c_i · ½(y_i − x_i·w − b)² + l2/2 · ‖w‖² + l1 · ‖w‖₁
// keeping the residuals up to date. Stops when the largest violation of the optimality (KKT)
// conditions is at most `tol`, or after max_iter sweeps. The KKT check uses the thread pool;
// the sweeps are sequential (deterministic).
#pragma once

#include <string>
#include <vector>

#include "kiln/core/context.h"
#include "kiln/core/result.h"
#include "lbfgs.h"
#include "objectives.h"

namespace kiln::algorithms::linear {

struct CdOptions {
  int max_iter = 1000;
  double tol = 1e-6;
  std::string label = "coordinate descent";
};

// Largest violation of the elastic-net optimality conditions at θ (squared loss).
double ElasticNetKktViolation(const Problem& p, std::span<const double> theta,
                              core::ThreadPool& pool);

// p.loss must be kSquared and p.x dense. θ (size p.dim()) is updated in place.
core::Result<SolverReport> MinimizeElasticNetCd(const Problem& p, const CdOptions& options,
                                                std::vector<double>* theta, core::Context& ctx);

}  // namespace kiln::algorithms::linear
