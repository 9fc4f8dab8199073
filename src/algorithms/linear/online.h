// Online (stochastic) solvers for linear models, over dense or sparse rows: plain SGD, Adagrad
// and FTRL-proximal (McMahan et al., "Ad click prediction: a view from the trenches", 2013).
//
// They minimise the same objective as the batch solvers (objectives.h): each row i contributes
// n·c_i·loss_i and the regularisation is applied per row, so after t rows FTRL's closed form
// uses λ1 = t·l1 and λ2 = t·l2. SGD and Adagrad apply the l2 decay and l1 shrinkage lazily to a
// coordinate when its feature next appears (exact for dense rows). The intercept is never
// regularised. All three run in deterministic parallel mini-batches (minibatch.h): the model is
// the same for any thread count, and below 2,000 rows the pass is exactly sequential. Rows are
// visited in a fresh seeded shuffle each epoch; training stops after `epochs` or when an epoch's
// progressive (pre-update) loss improves by less than `tol` relative to the previous epoch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/core/context.h"
#include "kiln/core/result.h"
#include "lbfgs.h"
#include "objectives.h"

namespace kiln::algorithms::linear {

enum class OnlineMethod { kSgd, kAdagrad, kFtrl };

struct OnlineOptions {
  OnlineMethod method = OnlineMethod::kFtrl;
  int epochs = 5;
  double learning_rate = 0.1;  // SGD η0, Adagrad η, FTRL α
  double ftrl_beta = 1.0;
  double tol = 1e-4;
  bool shuffle = true;
  size_t batch_size = 0;  // rows per mini-batch; 0 = MiniBatchSize (minibatch.h)
  uint64_t seed = 42;
  std::string label = "training";
};

// Step size used when the user gives none: FTRL α 0.2, Adagrad η 0.1, SGD η0 0.01.
double DefaultLearningRate(OnlineMethod method);

// Minimises the problem from *theta (size p.dim(), updated in place). Hinge losses allowed.
core::Result<SolverReport> MinimizeOnline(const Problem& p, const OnlineOptions& options,
                                          std::vector<double>* theta, core::Context& ctx);

}  // namespace kiln::algorithms::linear
