#include "coordinate_descent.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace kiln::algorithms::linear {
namespace {

double SoftThreshold(double v, double t) { return v > t ? v - t : (v < -t ? v + t : 0.0); }

// Residuals y − Xw − b.
std::vector<double> Residuals(const Problem& p, std::span<const double> theta,
                              core::ThreadPool& pool) {
  std::vector<double> r(p.rows());
  p.x->Multiply(theta.subspan(0, p.num_weights()), 1, r, pool);
  const double b = p.fit_intercept ? theta[p.num_weights()] : 0.0;
  for (size_t i = 0; i < r.size(); ++i) r[i] = p.y[i] - r[i] - b;
  return r;
}

double Violation(const Problem& p, std::span<const double> theta, std::span<const double> r,
                 core::ThreadPool& pool) {
  const size_t n = p.rows(), d = p.cols();
  std::vector<double> cr(n), g(d);
  double sum_cr = 0;
  for (size_t i = 0; i < n; ++i) sum_cr += (cr[i] = p.c[i] * r[i]);
  p.x->MultiplyTransposed(cr, 1, g, pool);
  double worst = p.fit_intercept ? std::abs(sum_cr) : 0.0;
  for (size_t j = 0; j < d; ++j) {
    const double grad = -g[j] + p.l2 * theta[j];  // gradient of the smooth part
    const double w = theta[j];
    const double v =
        w != 0 ? std::abs(grad + std::copysign(p.l1, w)) : std::max(0.0, std::abs(grad) - p.l1);
    worst = std::max(worst, v);
  }
  return worst;
}

}  // namespace

double ElasticNetKktViolation(const Problem& p, std::span<const double> theta,
                              core::ThreadPool& pool) {
  std::vector<double> r = Residuals(p, theta, pool);
  return Violation(p, theta, r, pool);
}

core::Result<SolverReport> MinimizeElasticNetCd(const Problem& p, const CdOptions& options,
                                                std::vector<double>* theta, core::Context& ctx) {
  SolverReport report;
  report.solver = "cd";
  const ml::DesignMatrix& x = *p.x;
  if (x.is_sparse()) return core::Internal("coordinate descent needs a dense design matrix");
  const size_t n = p.rows(), d = p.cols();
  theta->resize(p.dim(), 0.0);
  std::vector<double>& t = *theta;
  std::vector<double> r = Residuals(p, t, ctx.pool());
  const std::vector<double> a = x.WeightedColumnSquares(p.c, ctx.pool());
  auto progress =
      ctx.progress().Start(options.label, static_cast<uint64_t>(options.max_iter), "sweeps");
  report.stop_reason = "max_iter";
  for (int sweep = 0;; ++sweep) {
    report.iterations = sweep;
    report.gradient_norm = Violation(p, t, r, ctx.pool());
    if (report.gradient_norm <= options.tol) {
      report.converged = true;
      report.stop_reason = "kkt";
      break;
    }
    if (sweep >= options.max_iter) break;
    KILN_RETURN_IF_ERROR(ctx.CheckCancelled(options.label));
    if (p.fit_intercept) {
      double delta = 0;
      for (size_t i = 0; i < n; ++i) delta += p.c[i] * r[i];
      t[d] += delta;
      for (size_t i = 0; i < n; ++i) r[i] -= delta;
    }
    for (size_t j = 0; j < d; ++j) {
      if (a[j] == 0) {
        t[j] = 0;
        continue;
      }
      const float* col = x.column(j);
      double rho = 0;
      for (size_t i = 0; i < n; ++i) rho += p.c[i] * col[i] * r[i];
      const double old = t[j];
      rho += a[j] * old;
      const double w = SoftThreshold(rho, p.l1) / (a[j] + p.l2);
      if (w != old) {
        const double step = w - old;
        for (size_t i = 0; i < n; ++i) r[i] -= step * col[i];
        t[j] = w;
      }
    }
    progress->Set(static_cast<uint64_t>(sweep + 1));
  }
  double loss = 0, sq = 0, l1 = 0;
  for (size_t i = 0; i < n; ++i) loss += p.c[i] * 0.5 * r[i] * r[i];
  for (size_t j = 0; j < d; ++j) sq += t[j] * t[j], l1 += std::abs(t[j]);
  report.objective = loss + 0.5 * p.l2 * sq + p.l1 * l1;
  progress->SetNote(fmt::format("objective {:.6g}", report.objective));
  progress->Finish();
  return report;
}

}  // namespace kiln::algorithms::linear
