// FTRL-proximal (McMahan et al. 2013), run in deterministic parallel mini-batches by
// RunMiniBatches (minibatch.h): identical models for any thread count, exactly sequential FTRL
// below 2,000 rows.
//
// Regularisation follows objectives.h (mean loss + l2/2‖w‖² + l1‖w‖₁): after t rows FTRL's
// closed form uses λ1 = t·l1 and λ2 = t·l2. The intercept is never regularised.
#pragma once

#include <vector>

#include "kiln/core/context.h"
#include "kiln/core/result.h"
#include "lbfgs.h"
#include "objectives.h"
#include "online.h"

namespace kiln::algorithms::linear {

// Minimises the problem with FTRL from *theta (size p.dim(), updated in place).
core::Result<SolverReport> MinimizeFtrl(const Problem& p, const OnlineOptions& options,
                                        std::vector<double>* theta, core::Context& ctx);

}  // namespace kiln::algorithms::linear
