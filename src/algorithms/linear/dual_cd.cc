#include "dual_cd.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "kiln/core/random.h"

namespace kiln::algorithms::linear {

core::Result<DualCdResult> SolveSvmDual(const ml::DesignMatrix& x, std::span<const double> y,
                                        std::span<const double> cost, const DualCdOptions& options,
                                        core::Context& ctx) {
  const size_t n = x.rows(), d = x.cols();
  const double inf = std::numeric_limits<double>::infinity();
  DualCdResult out;
  out.report.solver = "dual_cd";
  out.w.assign(d + (options.bias ? 1 : 0), 0.0);
  out.alpha.assign(n, 0.0);
  std::vector<double>& w = out.w;
  std::vector<double>& alpha = out.alpha;
  const double bias = options.bias ? 1.0 : 0.0;

  // Rows with zero cost never move; leave them out.
  std::vector<uint32_t> index;
  std::vector<double> qd(n, 0.0), upper(n, 0.0), diag(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    if (!(cost[i] > 0)) continue;
    double sq = bias * bias;
    x.ForEachInRow(i, [&](size_t, float v) { sq += double{v} * v; });
    if (options.squared_hinge) {
      upper[i] = inf;
      diag[i] = 0.5 / cost[i];
    } else {
      upper[i] = cost[i];
    }
    qd[i] = sq + diag[i];
    if (qd[i] > 0) index.push_back(static_cast<uint32_t>(i));
  }
  auto dot = [&](size_t i) {
    double s = options.bias ? w[d] * bias : 0.0;
    x.ForEachInRow(i, [&](size_t j, float v) { s += w[j] * v; });
    return s;
  };
  auto axpy = [&](size_t i, double a) {
    x.ForEachInRow(i, [&](size_t j, float v) { w[j] += a * v; });
    if (options.bias) w[d] += a * bias;
  };

  core::Rng rng(options.seed);
  size_t active = index.size();
  double pg_max_old = inf, pg_min_old = -inf;
  out.report.stop_reason = "max_iter";
  int iter = 0;
  for (; iter < options.max_iter; ++iter) {
    KILN_RETURN_IF_ERROR(ctx.CheckCancelled(options.label));
    double pg_max = -inf, pg_min = inf;
    rng.Shuffle(index.begin(), index.begin() + static_cast<long>(active));
    for (size_t s = 0; s < active; ++s) {
      const size_t i = index[s];
      const double g = y[i] * dot(i) - 1.0 + diag[i] * alpha[i];
      double pg = 0;
      if (alpha[i] == 0) {
        if (g > pg_max_old) {  // shrink: stays at the lower bound
          std::swap(index[s], index[--active]);
          --s;
          continue;
        }
        if (g < 0) pg = g;
      } else if (alpha[i] == upper[i]) {
        if (g < pg_min_old) {  // shrink: stays at the upper bound
          std::swap(index[s], index[--active]);
          --s;
          continue;
        }
        if (g > 0) pg = g;
      } else {
        pg = g;
      }
      pg_max = std::max(pg_max, pg);
      pg_min = std::min(pg_min, pg);
      if (std::abs(pg) > 1e-12) {
        const double old = alpha[i];
        alpha[i] = std::min(std::max(old - g / qd[i], 0.0), upper[i]);
        axpy(i, (alpha[i] - old) * y[i]);
      }
    }
    if (active == 0) pg_max = pg_min = 0;
    if (pg_max - pg_min <= options.tol) {
      if (active == index.size()) {
        out.report.converged = true;
        out.report.stop_reason = "tol";
        ++iter;
        break;
      }
      // Converged on the active set: check everything again without shrinking.
      active = index.size();
      pg_max_old = inf;
      pg_min_old = -inf;
      continue;
    }
    pg_max_old = pg_max > 0 ? pg_max : inf;
    pg_min_old = pg_min < 0 ? pg_min : -inf;
  }
  out.report.iterations = iter;
  // The dual objective ½ αᵀQ̄α − Σα = ½‖w‖² + ½ Σ D_ii α_i² − Σ α_i, for reporting.
  double dual = 0;
  for (double v : w) dual += 0.5 * v * v;
  for (size_t i = 0; i < n; ++i) dual += 0.5 * diag[i] * alpha[i] * alpha[i] - alpha[i];
  out.report.objective = dual;
  return out;
}

}  // namespace kiln::algorithms::linear
