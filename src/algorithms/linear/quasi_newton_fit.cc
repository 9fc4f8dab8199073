#include "quasi_newton_fit.h"

#include <algorithm>
#include <cstdint>
#include <span>

namespace kiln::algorithms::linear {

core::Result<SolverReport> FitQuasiNewton(const Problem& p, bool owlqn, QuasiNewtonOptions options,
                                          dist::Collective* collective, std::vector<double>* theta,
                                          core::Context& ctx) {
  SmoothObjective objective(p, ctx.pool(), collective, &ctx.cancellation());
  if (collective != nullptr) options.cancel = objective.agreed_cancellation();
  auto f = [&](std::span<const double> t, std::span<double> g) {
    return objective.ValueGradient(t, g);
  };
  core::Result<SolverReport> report = SolverReport{};
  if (owlqn) {
    std::vector<uint8_t> mask(p.dim(), 0);
    std::fill(mask.begin(), mask.begin() + static_cast<long>(p.num_weights()), 1);
    report = MinimizeOwlqn(f, p.l1, mask, theta, options, ctx);
  } else {
    report = MinimizeLbfgs(f, theta, options, ctx);
  }
  // A failed sum shows in the solver as a NaN objective; the real reason is the collective's.
  if (!objective.status().ok()) return objective.status();
  return report;
}

core::Result<size_t> GlobalNnz(const ml::DesignMatrix& x, dist::Collective* collective) {
  int64_t nnz = static_cast<int64_t>(x.nnz());
  if (collective != nullptr) {
    KILN_RETURN_IF_ERROR(collective->AllReduce(std::span<int64_t>(&nnz, 1), dist::ReduceOp::kSum));
  }
  return static_cast<size_t>(nnz);
}

}  // namespace kiln::algorithms::linear
