// Dual coordinate descent for L2-regularised linear SVMs (Hsieh, Chang, Lin, Keerthi and
// Sundararajan, "A dual coordinate descent method for large-scale linear SVM", ICML 2008), with
// the shrinking heuristic.
//
// Solves, for labels y_i ∈ {−1, +1} and per-row costs C_i ≥ 0,
//     min_w ½‖w‖² + Σ_i C_i · ξ(w; x_i, y_i),  ξ = max(0, 1 − y w·x)   (hinge)
//                                           or ξ = max(0, 1 − y w·x)² (squared hinge)
// through its dual  min_α ½ αᵀQ̄α − Σα,  0 ≤ α_i ≤ U_i,  Q̄ = Q + D, with U_i = C_i, D_ii = 0
// (hinge) or U_i = ∞, D_ii = 1/(2C_i) (squared hinge). With a bias, x gets an extra constant
// feature 1 whose weight is regularised like the others (as LIBLINEAR and sklearn's LinearSVC
// with intercept_scaling = 1). Stops when the projected-gradient spread over a pass is at most
// tol (LIBLINEAR's criterion) or after max_iter passes. Sequential and seeded: deterministic.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kiln/core/context.h"
#include "kiln/core/progress.h"
#include "kiln/core/result.h"
#include "kiln/ml/design_matrix.h"
#include "lbfgs.h"

namespace kiln::algorithms::linear {

struct DualCdOptions {
  int max_iter = 1000;
  double tol = 1e-4;
  bool squared_hinge = true;
  bool bias = true;
  uint64_t seed = 42;
  std::string label = "dual coordinate descent";
};

struct DualCdResult {
  SolverReport report;
  std::vector<double> w;      // d weights, then the bias weight when options.bias
  std::vector<double> alpha;  // dual variables, one per row
};

core::Result<DualCdResult> SolveSvmDual(const ml::DesignMatrix& x, std::span<const double> y,
                                        std::span<const double> cost, const DualCdOptions& options,
                                        core::Context& ctx);

}  // namespace kiln::algorithms::linear
