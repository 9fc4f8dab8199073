#include "ftrl.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>

#include <fmt/format.h>

#include "kiln/core/random.h"

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

// Coordinates are owned by kParts virtual parts: feature j belongs to part (j / 256) % kParts
// (groups of 256 columns, a multiple of the cache line), and thread t works on the parts
// p ≡ t (mod threads) in every batch. Margins are summed part by part in a fixed order, so the
// result does not depend on the thread count, and each thread's coordinates stay in its cache.
constexpr size_t kFeatureGroup = 256;
constexpr size_t kParts = 16;
constexpr size_t kShuffleBlock = 256;
constexpr size_t kMaxBatch = 1024;
constexpr size_t kScatterBlock = 64;  // rows per block when a batch is sorted into parts
constexpr size_t kLookahead = 16;     // entries ahead whose coordinates are prefetched

// One nonzero of a batch, filed under the part that owns its feature.
struct Entry {
  uint32_t feature;
  uint32_t row;  // position within the batch
  float value;   // exact: the design matrix holds floats
};
// Padded so that threads filling neighbouring buckets never share a cache line.
struct alignas(64) Bucket {
  std::vector<Entry> entries;
};

size_t PartOf(size_t feature) { return (feature / kFeatureGroup) % kParts; }

class Ftrl {
 public:
  Ftrl(const Problem& p, const OnlineOptions& o, CellArray* cells)
      : p_(p),
        o_(o),
        d_(p.cols()),
        k_(p.outputs),
        nw_(p.num_weights()),
        cells_(*cells),
        inv_alpha_(1.0 / o.learning_rate) {}

  // Weight of coordinate i after t rows (regularised coordinates use λ = t·l).
  double Weight(size_t i, bool regularised, double t) const {
    const Cell& cell = cells_[i];
    const double l1 = regularised ? p_.l1 * t : 0.0;
    const double l2 = regularised ? p_.l2 * t : 0.0;
    if (std::abs(cell.z) <= l1) return 0.0;
    return -(cell.z - std::copysign(l1, cell.z)) / ((o_.ftrl_beta + cell.sqrt_n) * inv_alpha_ + l2);
  }

  void Update(size_t i, double g, bool regularised, double t) {
    const double w = Weight(i, regularised, t);
    Cell& cell = cells_[i];
    const double sn = std::sqrt(cell.sqrt_n * cell.sqrt_n + g * g);
    cell.z += g - (sn - cell.sqrt_n) * inv_alpha_ * w;
    cell.sqrt_n = sn;
  }

  // Phase 1 for one row: margins from the current state, loss, and dloss/dz (times `scale`)
  // into dz[0..K).
  template <typename ForEach>
  double Predict(ForEach&& for_each, double y, double scale, double t, double* z,
                 double* dz) const {
    for (size_t c = 0; c < k_; ++c) z[c] = p_.fit_intercept ? Weight(nw_ + c, false, t) : 0.0;
    for_each([&](size_t j, double v) {
      for (size_t c = 0; c < k_; ++c) z[c] += Weight(c * d_ + j, true, t) * v;
    });
    const double loss = RowLoss(p_.loss, z, k_, y, dz);
    for (size_t c = 0; c < k_; ++c) dz[c] *= scale;
    return loss;
  }

  void Prefetch(size_t j) const { __builtin_prefetch(&cells_[j]); }

  size_t d() const { return d_; }
  size_t k() const { return k_; }
  size_t nw() const { return nw_; }

 private:
  const Problem& p_;
  const OnlineOptions& o_;
  size_t d_, k_, nw_;
  CellArray& cells_;
  double inv_alpha_;
};

}  // namespace

size_t FtrlBatchSize(size_t rows) { return std::clamp<size_t>(rows / 1000, 1, kMaxBatch); }

core::Result<SolverReport> MinimizeFtrl(const Problem& p, const OnlineOptions& options,
                                        std::vector<double>* theta, core::Context& ctx) {
  SolverReport report;
  report.solver = "ftrl";
  const size_t n = p.rows();
  const ml::DesignMatrix& x = *p.x;
  theta->resize(p.dim(), 0.0);
  CellArray cells(p.dim());
  if (!cells.ok()) {
    return core::ResourceExhausted("FTRL: cannot allocate state for {} coordinates", p.dim());
  }
  // Start from θ: z chosen so that the closed form (with no regularisation yet) reproduces it.
  for (size_t i = 0; i < p.dim(); ++i) {
    cells[i] = {-(*theta)[i] * options.ftrl_beta / options.learning_rate, 0.0};
  }
  Ftrl ftrl(p, options, &cells);
  const size_t k = p.outputs;
  const size_t batch = FtrlBatchSize(n);
  const double rows = static_cast<double>(n);

  // Row order: a fresh seeded shuffle of 256-row blocks each epoch (sequential memory access
  // within a block, global mixing across blocks).
  const size_t blocks = core::NumBlocks(n, kShuffleBlock);
  std::vector<uint32_t> block_order(blocks);
  std::iota(block_order.begin(), block_order.end(), 0u);
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  core::Rng rng(options.seed);

  auto for_each_in_row = [&](size_t i, auto&& f) {
    if (x.is_sparse()) {
      const uint64_t b = x.indptr()[i], e = x.indptr()[i + 1];
      const uint32_t* idx = x.indices().data();
      const float* val = x.values().data();
      for (uint64_t q = b; q < e; ++q) f(size_t{idx[q]}, double{val[q]});
    } else {
      const float* row = x.dense_row(i);
      for (size_t j = 0; j < x.cols(); ++j) {
        if (row[j] != 0.0f) f(j, double{row[j]});
      }
    }
  };

  std::vector<double> margins(batch * k), grads(batch * k), losses(batch);
  const size_t threads = static_cast<size_t>(ctx.threads());
  const size_t scatter_blocks = core::NumBlocks(batch, kScatterBlock);
  std::vector<Bucket> buckets(batch > 1 ? scatter_blocks * kParts : 0);
  std::vector<double> partial(batch > 1 ? kParts * batch * k : 0);
  auto progress =
      ctx.progress().Start(options.label, static_cast<uint64_t>(options.epochs) * n, "rows");
  double previous = 0;
  double t = 0;  // rows seen so far
  report.stop_reason = "epochs";
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    KILN_RETURN_IF_ERROR(ctx.CheckCancelled(options.label));
    if (options.shuffle) {
      rng.Shuffle(block_order.begin(), block_order.end());
      size_t next = 0;
      for (uint32_t b : block_order) {
        const size_t end = std::min(n, (b + 1) * kShuffleBlock);
        for (size_t i = b * kShuffleBlock; i < end; ++i) order[next++] = static_cast<uint32_t>(i);
      }
    }
    double loss = 0;
    for (size_t start = 0; start < n; start += batch) {
      const size_t count = std::min(batch, n - start);
      const uint32_t* rows_of_batch = order.data() + start;
      if (batch == 1) {
        // Plain sequential FTRL.
        const size_t i = rows_of_batch[0];
        const double ci = p.c[i];
        losses[0] = 0;
        std::fill_n(grads.data(), k, 0.0);
        if (ci != 0) {
          losses[0] = ci * ftrl.Predict([&](auto&& f) { for_each_in_row(i, f); }, p.y[i], ci * rows,
                                        t + 1, margins.data(), grads.data());
          for_each_in_row(i, [&](size_t j, double v) {
            for (size_t c = 0; c < k; ++c) ftrl.Update(c * ftrl.d() + j, grads[c] * v, true, t + 1);
          });
        }
      } else {
        // 1. File each row's nonzeros under their parts (parallel over blocks of rows).
        core::ParallelForBlocks(
            ctx.pool(), 0, count, kScatterBlock, [&](size_t b, size_t e, size_t block) {
              Bucket* own = buckets.data() + block * kParts;
              for (size_t q = 0; q < kParts; ++q) own[q].entries.clear();
              for (size_t r = b; r < e; ++r) {
                const size_t i = rows_of_batch[r];
                if (p.c[i] == 0) continue;
                for_each_in_row(i, [&](size_t j, double v) {
                  own[PartOf(j)].entries.push_back(
                      {static_cast<uint32_t>(j), static_cast<uint32_t>(r), static_cast<float>(v)});
                });
              }
            });
        const size_t used_blocks = core::NumBlocks(count, kScatterBlock);
        // Walks part `part`'s entries in row order, prefetching coordinates ahead.
        auto for_each_entry = [&](size_t part, auto&& f) {
          for (size_t block = 0; block < used_blocks; ++block) {
            const std::vector<Entry>& list = buckets[block * kParts + part].entries;
            for (size_t q = 0; q < list.size(); ++q) {
              if (q + kLookahead < list.size()) ftrl.Prefetch(list[q + kLookahead].feature);
              f(list[q]);
            }
          }
        };
        // 2. Each part's share of every row's margins, from the weights at the batch start.
        ctx.pool().RunOnEachThread([&](size_t tid) {
          for (size_t part = tid; part < kParts; part += threads) {
            double* m = partial.data() + part * batch * k;
            std::fill_n(m, count * k, 0.0);
            for_each_entry(part, [&](const Entry& en) {
              for (size_t c = 0; c < k; ++c) {
                m[en.row * k + c] += ftrl.Weight(c * ftrl.d() + en.feature, true, t + 1) * en.value;
              }
            });
          }
        });
        // 3. Margins summed over the parts in order, loss, and dloss/dz (parallel over rows).
        core::ParallelForBlocks(
            ctx.pool(), 0, count, kScatterBlock, [&](size_t b, size_t e, size_t) {
              for (size_t r = b; r < e; ++r) {
                const size_t i = rows_of_batch[r];
                const double ci = p.c[i];
                double* z = margins.data() + r * k;
                double* dz = grads.data() + r * k;
                if (ci == 0) {
                  losses[r] = 0;
                  std::fill_n(dz, k, 0.0);
                  continue;
                }
                for (size_t c = 0; c < k; ++c) {
                  z[c] = p.fit_intercept ? ftrl.Weight(ftrl.nw() + c, false, t + 1) : 0.0;
                  for (size_t part = 0; part < kParts; ++part)
                    z[c] += partial[(part * batch + r) * k + c];
                }
                losses[r] = ci * RowLoss(p.loss, z, k, p.y[i], dz);
                for (size_t c = 0; c < k; ++c) dz[c] *= ci * rows;
              }
            });
        // 4. Per-coordinate updates; each thread updates the coordinates of its parts.
        ctx.pool().RunOnEachThread([&](size_t tid) {
          for (size_t part = tid; part < kParts; part += threads) {
            for_each_entry(part, [&](const Entry& en) {
              const double* g = grads.data() + size_t{en.row} * k;
              const double tr = t + static_cast<double>(en.row) + 1;
              for (size_t c = 0; c < k; ++c) {
                ftrl.Update(c * ftrl.d() + en.feature, g[c] * double{en.value}, true, tr);
              }
            });
          }
        });
      }
      if (p.fit_intercept) {
        for (size_t r = 0; r < count; ++r) {
          const double tr = t + static_cast<double>(r) + 1;
          for (size_t c = 0; c < k; ++c) ftrl.Update(ftrl.nw() + c, grads[r * k + c], false, tr);
        }
      }
      for (size_t r = 0; r < count; ++r) loss += losses[r];
      t += static_cast<double>(count);
      if ((start / batch) % 64 == 63) {
        progress->Set(static_cast<uint64_t>(epoch) * n + start + count);
        KILN_RETURN_IF_ERROR(ctx.CheckCancelled(options.label));
      }
    }
    progress->Set(static_cast<uint64_t>(epoch + 1) * n);
    progress->SetNote(fmt::format("loss {:.6g}", loss));
    report.iterations = epoch + 1;
    report.objective = loss;
    if (epoch > 0 && previous - loss < options.tol * std::max(previous, 1e-300)) {
      report.converged = true;
      report.stop_reason = "tol";
      break;
    }
    previous = loss;
  }
  for (size_t i = 0; i < ftrl.nw(); ++i) (*theta)[i] = ftrl.Weight(i, true, t);
  if (p.fit_intercept) {
    for (size_t c = 0; c < k; ++c) (*theta)[ftrl.nw() + c] = ftrl.Weight(ftrl.nw() + c, false, t);
  }
  progress->Finish();
  return report;
}

}  // namespace kiln::algorithms::linear
