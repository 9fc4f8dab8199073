// The pass structure shared by the online solvers (SGD, Adagrad, FTRL-proximal): a seeded shuffle,
// deterministic parallel mini-batches, progress, cancellation and the stopping rule. A solver
// supplies only its per-coordinate rule.
//
// Rows are visited in a fresh seeded shuffle of 256-row blocks each epoch (sequential memory
// access within a block, global mixing across blocks) and processed in mini-batches of B rows
// (B is OnlineOptions::batch_size when given, else depends on the row count and method only: 1
// below 2,000 rows, see MiniBatchSize). Every
// feature belongs to one of 16 parts by its 256-column group, and each thread owns the same parts
// in every batch, so its coordinates stay in its core's cache. Per batch:
//   1. the rows' nonzeros are filed under their parts (parallel over rows);
//   2. each thread adds its parts' share of every row's margins, from the state at the batch start;
//   3. the shares are summed in part order into margins, then losses and dloss/dz (parallel over
//      rows);
//   4. each thread applies its parts' per-feature steps in row order.
// Neither sums nor step sequences depend on the thread count, so the model is identical for any
// number of threads. With B = 1 this is exactly the sequential algorithm.
//
// A Rule provides (`row` is the 1-based number of the row in the whole run, counting epochs):
//   void Margin(size_t j, double v, double row, double* z)   adds x_j·w_cj to z[c] for c < K, with
//        the state as it was before `row`; may bring feature j's own state up to date;
//   void Step(size_t j, double v, const double* g, double row)   applies row `row`'s gradient
//   g[c]·v; double Intercept(size_t c, double row) const;   void StepIntercept(size_t c, double g,
//   double row); void Prefetch(size_t j) const.
// Margin and Step for feature j touch only feature j's state; Intercept only reads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kiln/core/context.h"
#include "kiln/core/random.h"
#include "kiln/core/result.h"
#include "kiln/core/thread_pool.h"
#include "lbfgs.h"
#include "objectives.h"
#include "online.h"

namespace kiln::algorithms::linear {

// Mini-batch size used for `rows` rows: rows / 1000, at least 1, at most 1,024 for FTRL and
// Adagrad, whose per-coordinate steps shrink as a feature recurs, and 128 for plain SGD, which
// overshoots on frequent features when many rows of a batch share their stale margins (CTR data,
// one epoch: test AUC 0.768 with batches of 64-256 rows, 0.763 with 512, 0.720 with 1,000).
size_t MiniBatchSize(size_t rows, OnlineMethod method);

namespace minibatch {

constexpr size_t kFeatureGroup = 256;  // columns per group, a multiple of the cache line
constexpr size_t kParts = 16;
constexpr size_t kShuffleBlock = 256;
constexpr size_t kScatterBlock = 64;  // rows per block when a batch is filed into parts
constexpr size_t kLookahead = 16;     // entries ahead whose state is prefetched

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

inline size_t PartOf(size_t feature) { return (feature / kFeatureGroup) % kParts; }

// Calls f(j, v) for the nonzeros of row i.
template <typename F>
void ForEachInRow(const ml::DesignMatrix& x, size_t i, F&& f) {
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
}

}  // namespace minibatch

// Runs the epochs; returns the report (iterations, progressive loss, stop reason) and the number
// of rows processed in *rows_seen (what the rule's final state corresponds to). `row_loss(z, k,
// y, dz)` gives a row's loss from its K margins and writes d loss / d z (RowLoss of p.loss in the
// overload below); a model whose score is not linear in its margins (a factorization machine:
// margins are per-factor sums) supplies its own.
template <typename Rule, typename RowLossFn>
core::Result<SolverReport> RunMiniBatches(const Problem& p, const OnlineOptions& options,
                                          Rule& rule, core::Context& ctx, double* rows_seen,
                                          RowLossFn&& row_loss) {
  using minibatch::Bucket;
  using minibatch::Entry;
  using minibatch::ForEachInRow;
  using minibatch::kLookahead;
  using minibatch::kParts;
  using minibatch::kScatterBlock;
  using minibatch::kShuffleBlock;
  SolverReport report;
  const size_t n = p.rows();
  const ml::DesignMatrix& x = *p.x;
  const size_t k = p.outputs;
  const size_t batch = options.batch_size > 0 ? std::min(options.batch_size, std::max<size_t>(n, 1))
                                              : MiniBatchSize(n, options.method);
  const double rows = static_cast<double>(n);
  // Thread t of RunOnEachThread owns parts t, t + threads, ...
  const size_t threads = static_cast<size_t>(ctx.pool().num_threads());

  std::vector<uint32_t> block_order(core::NumBlocks(n, kShuffleBlock));
  std::iota(block_order.begin(), block_order.end(), 0u);
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  core::Rng rng(options.seed);

  std::vector<double> margins(batch * k), grads(batch * k), losses(batch);
  std::vector<Bucket> buckets(batch > 1 ? core::NumBlocks(batch, kScatterBlock) * kParts : 0);
  std::vector<double> partial(batch > 1 ? kParts * batch * k : 0);

  // Batch of one row: the sequential algorithm.
  auto single = [&](size_t i, double row) {
    const double ci = p.c[i];
    losses[0] = 0;
    std::fill_n(grads.data(), k, 0.0);
    if (ci == 0) return;
    double* z = margins.data();
    for (size_t c = 0; c < k; ++c) z[c] = p.fit_intercept ? rule.Intercept(c, row) : 0.0;
    ForEachInRow(x, i, [&](size_t j, double v) { rule.Margin(j, v, row, z); });
    losses[0] = ci * row_loss(z, k, p.y[i], grads.data());
    for (size_t c = 0; c < k; ++c) grads[c] *= ci * rows;
    ForEachInRow(x, i, [&](size_t j, double v) { rule.Step(j, v, grads.data(), row); });
  };

  // A batch of several rows starting at row number `first`, in the four phases above.
  auto several = [&](const uint32_t* rows_of_batch, size_t count, double first) {
    core::ParallelForBlocks(
        ctx.pool(), 0, count, kScatterBlock, [&](size_t b, size_t e, size_t block) {
          Bucket* own = buckets.data() + block * kParts;
          for (size_t q = 0; q < kParts; ++q) own[q].entries.clear();
          for (size_t r = b; r < e; ++r) {
            const size_t i = rows_of_batch[r];
            if (p.c[i] == 0) continue;
            ForEachInRow(x, i, [&](size_t j, double v) {
              own[minibatch::PartOf(j)].entries.push_back(
                  {static_cast<uint32_t>(j), static_cast<uint32_t>(r), static_cast<float>(v)});
            });
          }
        });
    const size_t used_blocks = core::NumBlocks(count, kScatterBlock);
    auto for_each_entry = [&](size_t part, auto&& f) {
      for (size_t block = 0; block < used_blocks; ++block) {
        const std::vector<Entry>& list = buckets[block * kParts + part].entries;
        for (size_t q = 0; q < list.size(); ++q) {
          if (q + kLookahead < list.size()) rule.Prefetch(list[q + kLookahead].feature);
          f(list[q]);
        }
      }
    };
    ctx.pool().RunOnEachThread([&](size_t tid) {
      for (size_t part = tid; part < kParts; part += threads) {
        double* m = partial.data() + part * batch * k;
        std::fill_n(m, count * k, 0.0);
        for_each_entry(part, [&](const Entry& en) {
          rule.Margin(en.feature, double{en.value}, first, m + size_t{en.row} * k);
        });
      }
    });
    core::ParallelForBlocks(ctx.pool(), 0, count, kScatterBlock, [&](size_t b, size_t e, size_t) {
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
          z[c] = p.fit_intercept ? rule.Intercept(c, first) : 0.0;
          for (size_t part = 0; part < kParts; ++part) z[c] += partial[(part * batch + r) * k + c];
        }
        losses[r] = ci * row_loss(z, k, p.y[i], dz);
        for (size_t c = 0; c < k; ++c) dz[c] *= ci * rows;
      }
    });
    ctx.pool().RunOnEachThread([&](size_t tid) {
      for (size_t part = tid; part < kParts; part += threads) {
        for_each_entry(part, [&](const Entry& en) {
          rule.Step(en.feature, double{en.value}, grads.data() + size_t{en.row} * k,
                    first + static_cast<double>(en.row));
        });
      }
    });
  };

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
      if (count == 1) {
        single(order[start], t + 1);
      } else {
        several(order.data() + start, count, t + 1);
      }
      if (p.fit_intercept) {
        for (size_t r = 0; r < count; ++r) {
          for (size_t c = 0; c < k; ++c) {
            rule.StepIntercept(c, grads[r * k + c], t + static_cast<double>(r) + 1);
          }
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
  progress->Finish();
  *rows_seen = t;
  return report;
}

template <typename Rule>
core::Result<SolverReport> RunMiniBatches(const Problem& p, const OnlineOptions& options,
                                          Rule& rule, core::Context& ctx, double* rows_seen) {
  return RunMiniBatches(p, options, rule, ctx, rows_seen,
                        [&p](const double* z, size_t k, double y, double* dz) {
                          return RowLoss(p.loss, z, k, y, dz);
                        });
}

}  // namespace kiln::algorithms::linear
