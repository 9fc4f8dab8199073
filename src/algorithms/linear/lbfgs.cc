#include "lbfgs.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

#include <fmt/format.h>

namespace kiln::algorithms::linear {
namespace {

double Dot(std::span<const double> a, std::span<const double> b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

double MaxAbs(std::span<const double> a) {
  double m = 0;
  for (double v : a) m = std::max(m, std::abs(v));
  return m;
}

// The limited-memory inverse-Hessian approximation: correction pairs and the two-loop recursion.
class History {
 public:
  explicit History(int memory) : memory_(static_cast<size_t>(std::max(memory, 1))) {}

  // Adds (s, y) when the curvature condition holds; returns whether it was kept.
  bool Push(std::vector<double> s, std::vector<double> y) {
    const double sy = Dot(s, y);
    const double yy = Dot(y, y);
    if (!(sy > 1e-12 * std::sqrt(Dot(s, s) * yy)) || yy == 0) return false;
    if (pairs_.size() == memory_) pairs_.pop_front();
    pairs_.push_back({std::move(s), std::move(y), 1.0 / sy, sy / yy});
    return true;
  }
  void Clear() { pairs_.clear(); }
  bool empty() const { return pairs_.empty(); }

  // d = -H · g.
  void Direction(std::span<const double> g, std::vector<double>* d) const {
    d->assign(g.begin(), g.end());
    std::vector<double> alpha(pairs_.size());
    for (size_t i = pairs_.size(); i-- > 0;) {
      const Pair& p = pairs_[i];
      alpha[i] = p.rho * Dot(p.s, *d);
      for (size_t j = 0; j < d->size(); ++j) (*d)[j] -= alpha[i] * p.y[j];
    }
    const double gamma = pairs_.empty() ? 1.0 : pairs_.back().gamma;
    for (double& v : *d) v *= gamma;
    for (size_t i = 0; i < pairs_.size(); ++i) {
      const Pair& p = pairs_[i];
      const double beta = p.rho * Dot(p.y, *d);
      for (size_t j = 0; j < d->size(); ++j) (*d)[j] += (alpha[i] - beta) * p.s[j];
    }
    for (double& v : *d) v = -v;
  }

 private:
  struct Pair {
    std::vector<double> s, y;
    double rho, gamma;
  };
  size_t memory_;
  std::deque<Pair> pairs_;
};

// Minimiser of the cubic through (a, fa, ga) and (b, fb, gb), kept inside the middle 80% of
// [a, b]; bisection when the cubic is not usable.
double CubicStep(double a, double fa, double ga, double b, double fb, double gb) {
  const double lo = std::min(a, b), hi = std::max(a, b), width = hi - lo;
  const double d1 = ga + gb - 3 * (fa - fb) / (a - b);
  const double disc = d1 * d1 - ga * gb;
  double t = 0.5 * (a + b);
  if (disc >= 0 && std::isfinite(disc)) {
    const double d2 = (b > a ? 1.0 : -1.0) * std::sqrt(disc);
    const double denom = gb - ga + 2 * d2;
    if (denom != 0) t = b - (b - a) * (gb + d2 - d1) / denom;
  }
  if (!std::isfinite(t)) t = 0.5 * (a + b);
  return std::clamp(t, lo + 0.1 * width, hi - 0.1 * width);
}

// Strong-Wolfe line search along d from x (value f0, directional derivative g0 < 0). On
// success, *x_new, *f_new, *g_new hold the accepted point.
struct LineSearch {
  const ValueGradientFn* f;
  std::span<const double> x;
  std::span<const double> d;
  double f0, g0;
  std::vector<double> x_trial, g_trial;
  int evaluations = 0;

  static constexpr double kC1 = 1e-4;
  static constexpr double kC2 = 0.9;
  static constexpr int kMaxEvaluations = 40;

  // φ(α) and φ'(α); leaves the trial point in x_trial / g_trial.
  std::pair<double, double> Phi(double alpha) {
    ++evaluations;
    x_trial.resize(x.size());
    g_trial.resize(x.size());
    for (size_t i = 0; i < x.size(); ++i) x_trial[i] = x[i] + alpha * d[i];
    const double v = (*f)(x_trial, g_trial);
    return {v, Dot(g_trial, d)};
  }

  // Returns the accepted value, or NaN on failure (x_trial then holds the best point tried only
  // if it decreased the objective: see `best_decrease`).
  double Zoom(double lo, double f_lo, double g_lo, double hi, double f_hi, double g_hi) {
    while (evaluations < kMaxEvaluations) {
      const double alpha = CubicStep(lo, f_lo, g_lo, hi, f_hi, g_hi);
      auto [v, g] = Phi(alpha);
      if (v > f0 + kC1 * alpha * g0 || v >= f_lo) {
        hi = alpha, f_hi = v, g_hi = g;
      } else {
        if (std::abs(g) <= -kC2 * g0) return v;
        if (g * (hi - lo) >= 0) hi = lo, f_hi = f_lo, g_hi = g_lo;
        lo = alpha, f_lo = v, g_lo = g;
      }
      if (std::abs(hi - lo) <= 1e-16 * std::max(1.0, std::abs(lo))) break;
    }
    // Out of evaluations: accept the low end if it decreased the objective at all.
    if (lo > 0 && f_lo < f0) {
      Phi(lo);
      return f_lo;
    }
    return std::numeric_limits<double>::quiet_NaN();
  }

  double Run(double alpha) {
    double prev = 0, f_prev = f0, g_prev = g0;
    for (int i = 0; evaluations < kMaxEvaluations; ++i) {
      auto [v, g] = Phi(alpha);
      if (!std::isfinite(v)) {  // overflow: step back towards the start
        alpha = 0.5 * (prev + alpha);
        continue;
      }
      if (v > f0 + kC1 * alpha * g0 || (i > 0 && v >= f_prev))
        return Zoom(prev, f_prev, g_prev, alpha, v, g);
      if (std::abs(g) <= -kC2 * g0) return v;
      if (g >= 0) return Zoom(alpha, v, g, prev, f_prev, g_prev);
      prev = alpha, f_prev = v, g_prev = g;
      alpha *= 2;
    }
    return std::numeric_limits<double>::quiet_NaN();
  }
};

core::Status CheckCancelled(const QuasiNewtonOptions& options, const core::Context& ctx) {
  return options.cancel != nullptr ? options.cancel->Check(options.label)
                                   : ctx.CheckCancelled(options.label);
}

}  // namespace

core::Result<SolverReport> MinimizeLbfgs(const ValueGradientFn& f, std::vector<double>* x,
                                         const QuasiNewtonOptions& options, core::Context& ctx) {
  SolverReport report;
  report.solver = "lbfgs";
  const size_t n = x->size();
  std::vector<double> g(n), d;
  double fx = f(*x, g);
  if (!std::isfinite(fx)) return core::DataError("the objective is not finite at the start");
  History history(options.memory);
  auto progress =
      ctx.progress().Start(options.label, static_cast<uint64_t>(options.max_iter), "iter");
  report.stop_reason = "max_iter";
  for (int iter = 0;; ++iter) {
    report.iterations = iter;
    report.gradient_norm = MaxAbs(g);
    if (report.gradient_norm <= options.tol) {
      report.converged = true;
      report.stop_reason = "gradient";
      break;
    }
    if (iter >= options.max_iter) break;
    KILN_RETURN_IF_ERROR(CheckCancelled(options, ctx));
    history.Direction(g, &d);
    double gd = Dot(g, d);
    if (!(gd < 0)) {  // not a descent direction: restart from steepest descent
      history.Clear();
      history.Direction(g, &d);
      gd = Dot(g, d);
    }
    const double step0 = history.empty() ? std::min(1.0, 1.0 / std::sqrt(Dot(g, g))) : 1.0;
    LineSearch ls{&f, *x, d, fx, gd, {}, {}, 0};
    double f_new = ls.Run(step0);
    if (std::isnan(f_new) && !history.empty()) {
      history.Clear();  // retry once along the steepest descent
      history.Direction(g, &d);
      gd = Dot(g, d);
      ls = LineSearch{&f, *x, d, fx, gd, {}, {}, 0};
      f_new = ls.Run(std::min(1.0, 1.0 / std::sqrt(Dot(g, g))));
    }
    if (std::isnan(f_new)) {
      // No decrease is possible at machine precision: we are as close as we can get.
      report.stop_reason = "line_search";
      report.converged = report.gradient_norm <= std::max(options.tol, 1e-6) * 100;
      break;
    }
    std::vector<double> s(n), y(n);
    for (size_t i = 0; i < n; ++i) {
      s[i] = ls.x_trial[i] - (*x)[i];
      y[i] = ls.g_trial[i] - g[i];
    }
    history.Push(std::move(s), std::move(y));
    x->swap(ls.x_trial);
    g.swap(ls.g_trial);
    const double decrease = fx - f_new;
    fx = f_new;
    progress->Set(static_cast<uint64_t>(iter + 1));
    progress->SetNote(fmt::format("objective {:.6g}", fx));
    if (decrease <= options.ftol * std::max({std::abs(fx), std::abs(fx + decrease), 1.0})) {
      report.iterations = iter + 1;
      report.gradient_norm = MaxAbs(g);
      report.converged = true;
      report.stop_reason = "objective";
      break;
    }
  }
  progress->Finish();
  report.objective = fx;
  return report;
}

core::Result<SolverReport> MinimizeOwlqn(const ValueGradientFn& f, double l1,
                                         std::span<const uint8_t> l1_mask, std::vector<double>* x,
                                         const QuasiNewtonOptions& options, core::Context& ctx) {
  SolverReport report;
  report.solver = "owlqn";
  const size_t n = x->size();
  auto penalty = [&](std::span<const double> v) {
    double s = 0;
    for (size_t i = 0; i < n; ++i)
      if (l1_mask[i]) s += std::abs(v[i]);
    return l1 * s;
  };
  // Pseudo-gradient: the minimum-norm subgradient of f + l1 |.|.
  auto pseudo = [&](std::span<const double> v, std::span<const double> g, std::vector<double>* pg) {
    pg->resize(n);
    for (size_t i = 0; i < n; ++i) {
      if (!l1_mask[i]) {
        (*pg)[i] = g[i];
      } else if (v[i] > 0) {
        (*pg)[i] = g[i] + l1;
      } else if (v[i] < 0) {
        (*pg)[i] = g[i] - l1;
      } else if (g[i] + l1 < 0) {
        (*pg)[i] = g[i] + l1;
      } else if (g[i] - l1 > 0) {
        (*pg)[i] = g[i] - l1;
      } else {
        (*pg)[i] = 0;
      }
    }
  };
  std::vector<double> g(n), pg, d, x_new(n), g_new(n);
  double fx = f(*x, g) + penalty(*x);
  if (!std::isfinite(fx)) return core::DataError("the objective is not finite at the start");
  History history(options.memory);
  auto progress =
      ctx.progress().Start(options.label, static_cast<uint64_t>(options.max_iter), "iter");
  report.stop_reason = "max_iter";
  for (int iter = 0;; ++iter) {
    pseudo(*x, g, &pg);
    report.iterations = iter;
    report.gradient_norm = MaxAbs(pg);
    if (report.gradient_norm <= options.tol) {
      report.converged = true;
      report.stop_reason = "gradient";
      break;
    }
    if (iter >= options.max_iter) break;
    KILN_RETURN_IF_ERROR(CheckCancelled(options, ctx));
    history.Direction(pg, &d);
    for (size_t i = 0; i < n; ++i) {
      if (d[i] * pg[i] >= 0) d[i] = 0;  // keep only components that descend
    }
    if (!(Dot(pg, d) < 0)) {
      history.Clear();
      for (size_t i = 0; i < n; ++i) d[i] = -pg[i];
    }
    double alpha = history.empty() ? std::min(1.0, 1.0 / std::sqrt(Dot(pg, pg))) : 1.0;
    double f_new = 0;
    bool accepted = false;
    for (int tries = 0; tries < 60; ++tries, alpha *= 0.5) {
      double expected = 0;
      for (size_t i = 0; i < n; ++i) {
        double v = (*x)[i] + alpha * d[i];
        if (l1_mask[i]) {
          const double orthant = (*x)[i] != 0 ? (*x)[i] : -pg[i];
          if (v * orthant <= 0) v = 0;  // do not cross into another orthant
        }
        x_new[i] = v;
        expected += pg[i] * (v - (*x)[i]);
      }
      f_new = f(x_new, g_new) + penalty(x_new);
      if (std::isfinite(f_new) && f_new <= fx + 1e-4 * expected) {
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      report.stop_reason = "line_search";
      report.converged = report.gradient_norm <= std::max(options.tol, 1e-6) * 100;
      break;
    }
    std::vector<double> s(n), y(n);
    for (size_t i = 0; i < n; ++i) {
      s[i] = x_new[i] - (*x)[i];
      y[i] = g_new[i] - g[i];
    }
    history.Push(std::move(s), std::move(y));
    x->swap(x_new);
    g.swap(g_new);
    const double decrease = fx - f_new;
    fx = f_new;
    progress->Set(static_cast<uint64_t>(iter + 1));
    progress->SetNote(fmt::format("objective {:.6g}", fx));
    if (decrease <= options.ftol * std::max({std::abs(fx), std::abs(fx + decrease), 1.0})) {
      pseudo(*x, g, &pg);
      report.iterations = iter + 1;
      report.gradient_norm = MaxAbs(pg);
      report.converged = true;
      report.stop_reason = "objective";
      break;
    }
  }
  progress->Finish();
  report.objective = fx;
  return report;
}

}  // namespace kiln::algorithms::linear
