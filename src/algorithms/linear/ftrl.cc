#include "ftrl.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "minibatch.h"

namespace kiln::algorithms::linear {
namespace {

// Per-coordinate state: z = Σ (g − σ·w) and √n = √(Σ g²), interleaved so one access serves both.
struct Cell {
  double z;
  double sqrt_n;
};

// Zeroed cells on transparent huge pages: updates touch the state in random order, and with
// 4 KiB pages nearly every access to a large model would miss the TLB.
class CellArray {
 public:
  explicit CellArray(size_t n) {
    constexpr size_t kHuge = size_t{2} << 20;
    const size_t bytes = std::max(kHuge, (n * sizeof(Cell) + kHuge - 1) / kHuge * kHuge);
    void* p = std::aligned_alloc(kHuge, bytes);
    if (p != nullptr) {
      ::madvise(p, bytes, MADV_HUGEPAGE);
      std::memset(p, 0, bytes);
    }
    data_.reset(static_cast<Cell*>(p));
  }
  bool ok() const { return data_ != nullptr; }
  Cell& operator[](size_t i) { return data_.get()[i]; }
  const Cell& operator[](size_t i) const { return data_.get()[i]; }

 private:
  struct Free {
    void operator()(Cell* p) const { std::free(p); }
  };
  std::unique_ptr<Cell, Free> data_;
};

// FTRL's rule for RunMiniBatches (minibatch.h). The weight of a coordinate after `row` rows comes
// from its state in closed form, with λ = row·l for regularised coordinates.
class FtrlRule {
 public:
  FtrlRule(const Problem& p, const OnlineOptions& o, CellArray* cells)
      : p_(p),
        o_(o),
        d_(p.cols()),
        k_(p.outputs),
        nw_(p.num_weights()),
        cells_(*cells),
        inv_alpha_(1.0 / o.learning_rate) {}

  void Margin(size_t j, double v, double row, double* z) const {
    for (size_t c = 0; c < k_; ++c) z[c] += Weight(c * d_ + j, true, row) * v;
  }
  void Step(size_t j, double v, const double* g, double row) {
    for (size_t c = 0; c < k_; ++c) Update(c * d_ + j, g[c] * v, true, row);
  }
  double Intercept(size_t c, double row) const { return Weight(nw_ + c, false, row); }
  void StepIntercept(size_t c, double g, double row) { Update(nw_ + c, g, false, row); }
  void Prefetch(size_t j) const { __builtin_prefetch(&cells_[j]); }

  double Weight(size_t i, bool regularised, double row) const {
    const Cell& cell = cells_[i];
    const double l1 = regularised ? p_.l1 * row : 0.0;
    const double l2 = regularised ? p_.l2 * row : 0.0;
    if (std::abs(cell.z) <= l1) return 0.0;
    return -(cell.z - std::copysign(l1, cell.z)) / ((o_.ftrl_beta + cell.sqrt_n) * inv_alpha_ + l2);
  }

 private:
  void Update(size_t i, double g, bool regularised, double row) {
    const double w = Weight(i, regularised, row);
    Cell& cell = cells_[i];
    const double sn = std::sqrt(cell.sqrt_n * cell.sqrt_n + g * g);
    cell.z += g - (sn - cell.sqrt_n) * inv_alpha_ * w;
    cell.sqrt_n = sn;
  }

  const Problem& p_;
  const OnlineOptions& o_;
  size_t d_, k_, nw_;
  CellArray& cells_;
  double inv_alpha_;
};

}  // namespace

core::Result<SolverReport> MinimizeFtrl(const Problem& p, const OnlineOptions& options,
                                        std::vector<double>* theta, core::Context& ctx) {
  theta->resize(p.dim(), 0.0);
  CellArray cells(p.dim());
  if (!cells.ok()) {
    return core::ResourceExhausted("FTRL: cannot allocate state for {} coordinates", p.dim());
  }
  // Start from θ: z chosen so that the closed form (with no regularisation yet) reproduces it.
  for (size_t i = 0; i < p.dim(); ++i) {
    cells[i] = {-(*theta)[i] * options.ftrl_beta / options.learning_rate, 0.0};
  }
  FtrlRule rule(p, options, &cells);
  double t = 0;
  KILN_ASSIGN_OR_RETURN(SolverReport report, RunMiniBatches(p, options, rule, ctx, &t));
  report.solver = "ftrl";
  for (size_t i = 0; i < p.num_weights(); ++i) (*theta)[i] = rule.Weight(i, true, t);
  for (size_t i = p.num_weights(); i < p.dim(); ++i) (*theta)[i] = rule.Weight(i, false, t);
  return report;
}

}  // namespace kiln::algorithms::linear
