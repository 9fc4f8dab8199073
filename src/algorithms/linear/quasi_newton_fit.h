// Fitting a linear Problem with L-BFGS or OWL-QN on its SmoothObjective — in one process, or
// data-parallel over a dist::Collective (each rank holding its rows of the problem). The linear
// estimators share it; see objectives.h for how the ranks agree on every value.
#pragma once

#include <cstddef>
#include <vector>

#include "kiln/core/context.h"
#include "kiln/core/result.h"
#include "kiln/dist/collective.h"
#include "kiln/ml/design_matrix.h"
#include "lbfgs.h"
#include "objectives.h"

namespace kiln::algorithms::linear {

// Minimises the problem's objective from *theta: OWL-QN (the l1 term on the weights, never the
// intercepts) when `owlqn`, else L-BFGS. With a collective every rank calls it together and gets
// the same theta; a collective failure is returned as the error.
core::Result<SolverReport> FitQuasiNewton(const Problem& p, bool owlqn, QuasiNewtonOptions options,
                                          dist::Collective* collective, std::vector<double>* theta,
                                          core::Context& ctx);

// Stored entries of the design matrix summed over the ranks (this rank's without a collective):
// what the solvers' "auto" choices look at, so every rank chooses the same.
core::Result<size_t> GlobalNnz(const ml::DesignMatrix& x, dist::Collective* collective);

// True when `collective` joins more than one rank.
inline bool IsDistributed(const dist::Collective* collective) {
  return collective != nullptr && collective->size() > 1;
}

}  // namespace kiln::algorithms::linear
