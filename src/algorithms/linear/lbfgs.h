// Quasi-Newton minimisers for the linear models' smooth objectives: L-BFGS with a strong-Wolfe
// line search (Nocedal & Wright, Algorithms 7.4, 3.5 and 3.6), and OWL-QN (Andrew & Gao 2007)
// for objectives with an added l1 term on some coordinates.
//
// Both stop when the (pseudo-)gradient's largest component is at most `tol` (the objective is a
// weighted mean, so this is scale-free in the number of rows), when the objective no longer
// decreases in relative terms (ftol), or after max_iter iterations. They report progress per
// iteration and poll cancellation between iterations. Single-threaded themselves; the function
// evaluation may use threads. Deterministic.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "kiln/core/context.h"
#include "kiln/core/result.h"

namespace kiln::algorithms::linear {

// f(θ) with its gradient written into the span.
using ValueGradientFn = std::function<double(std::span<const double>, std::span<double>)>;

struct QuasiNewtonOptions {
  int max_iter = 1000;
  double tol = 1e-6;                 // on max |gradient component|
  double ftol = 1e-13;               // on relative objective decrease per iteration
  int memory = 10;                   // correction pairs kept
  std::string label = "optimising";  // progress label
  // Polled between iterations instead of ctx's token when set (data-parallel runs poll the
  // cancellation every rank agreed on, so every rank stops after the same iteration).
  const core::CancellationToken* cancel = nullptr;
};

struct SolverReport {
  std::string solver;
  int iterations = 0;  // iterations (quasi-Newton) or epochs (online, coordinate descent)
  bool converged = false;
  double objective = 0;
  double gradient_norm = 0;  // max |(pseudo-)gradient| at the end, when known
  std::string stop_reason;
};

// Minimises f from *x (updated in place).
core::Result<SolverReport> MinimizeLbfgs(const ValueGradientFn& f, std::vector<double>* x,
                                         const QuasiNewtonOptions& options, core::Context& ctx);

// Minimises f(θ) + l1 · Σ_{j: mask[j]} |θ_j| from *x.
core::Result<SolverReport> MinimizeOwlqn(const ValueGradientFn& f, double l1,
                                         std::span<const uint8_t> l1_mask, std::vector<double>* x,
                                         const QuasiNewtonOptions& options, core::Context& ctx);

}  // namespace kiln::algorithms::linear
