// FTRL-proximal (McMahan et al. 2013) in deterministic parallel mini-batches.
//
// Rows are visited in a seeded shuffle of 256-row blocks and processed in mini-batches of B rows
// (B depends on the row count only: 1 for small data, up to 1024 for millions of rows). Every
// coordinate belongs to one of 16 parts by its feature's 256-column group, and each thread owns
// the same parts in every batch, so its coordinates stay in its core's cache. Per batch: the
// rows' nonzeros are filed under their parts; each thread computes its parts' share of every
// row's margin from the weights at the start of the batch; the shares are summed in part order
// into margins, losses and gradients; each thread then applies its parts' per-coordinate updates
// in row order. Neither sums nor update sequences depend on the thread count, so the model is
// identical for any number of threads. With B = 1 this is exactly sequential FTRL.
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

// Mini-batch size used for `rows` rows.
size_t FtrlBatchSize(size_t rows);

// Minimises the problem with FTRL from *theta (size p.dim(), updated in place).
core::Result<SolverReport> MinimizeFtrl(const Problem& p, const OnlineOptions& options,
                                        std::vector<double>* theta, core::Context& ctx);

}  // namespace kiln::algorithms::linear
