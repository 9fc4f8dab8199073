#include "kmeans_solver.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <queue>

#include <fmt/format.h>

namespace kiln::algorithms::cluster {
namespace {

constexpr size_t kSumBlock = 65536;  // rows per partial sum (combined in block order)

// Σ f(i) over all rows, deterministic for any thread count.
template <typename F>
double SumRows(size_t n, core::ThreadPool& pool, F&& f) {
  std::vector<double> partial(core::NumBlocks(n, kSumBlock), 0.0);
  core::ParallelForBlocks(pool, 0, n, kSumBlock, [&](size_t begin, size_t end, size_t block) {
    double s = 0;
    for (size_t i = begin; i < end; ++i) s += f(i);
    partial[block] = s;
  });
  double total = 0;
  for (double v : partial) total += v;
  return total;
}

// Index of the row where the running sum of weight[i] first exceeds `target` (the last row when
// rounding leaves the target beyond the total), with weights given per block for speed.
size_t SearchCumulative(const std::vector<double>& weight, const std::vector<double>& block_sums,
                        double target) {
  size_t block = 0;
  double before = 0;
  while (block + 1 < block_sums.size() && before + block_sums[block] <= target) {
    before += block_sums[block];
    ++block;
  }
  const size_t end = std::min(weight.size(), (block + 1) * kSumBlock);
  for (size_t i = block * kSumBlock; i < end; ++i) {
    before += weight[i];
    if (before > target) return i;
  }
  return end - 1;
}

std::vector<double> BlockSums(const std::vector<double>& v, core::ThreadPool& pool) {
  std::vector<double> sums(core::NumBlocks(v.size(), kSumBlock), 0.0);
  core::ParallelForBlocks(pool, 0, v.size(), kSumBlock, [&](size_t begin, size_t end, size_t b) {
    double s = 0;
    for (size_t i = begin; i < end; ++i) s += v[i];
    sums[b] = s;
  });
  return sums;
}

// Rows grouped by label, ascending within each group: rows of cluster c are
// order[offset[c] .. offset[c + 1]).
void GroupByLabel(std::span<const int32_t> labels, size_t k, std::vector<size_t>* offset,
                  std::vector<uint32_t>* order) {
  offset->assign(k + 1, 0);
  for (int32_t c : labels) ++(*offset)[static_cast<size_t>(c) + 1];
  for (size_t c = 0; c < k; ++c) (*offset)[c + 1] += (*offset)[c];
  order->resize(labels.size());
  std::vector<size_t> next(offset->begin(), offset->end() - 1);
  for (size_t i = 0; i < labels.size(); ++i) {
    (*order)[next[static_cast<size_t>(labels[i])]++] = static_cast<uint32_t>(i);
  }
}

// Weighted sums of the rows of each cluster into sums (k x d) and their weights.
void ClusterSums(const PointSet& x, std::span<const int32_t> labels, size_t k,
                 core::ThreadPool& pool, std::vector<double>* sums, std::vector<double>* weights) {
  const size_t d = x.dims();
  std::vector<size_t> offset;
  std::vector<uint32_t> order;
  GroupByLabel(labels, k, &offset, &order);
  sums->assign(k * d, 0.0);
  weights->assign(k, 0.0);
  core::ParallelForBlocks(pool, 0, k, 1, [&](size_t begin, size_t end, size_t) {
    for (size_t c = begin; c < end; ++c) {
      double* s = sums->data() + c * d;
      double w = 0;
      for (size_t q = offset[c]; q < offset[c + 1]; ++q) {
        const size_t i = order[q];
        x.AddRow(i, x.weight(i), s);
        w += x.weight(i);
      }
      (*weights)[c] = w;
    }
  });
}

// Clusters without weight take the rows farthest from their centres (largest dist2 first, lower
// row first on ties), moved out of the cluster they were in. Updates labels, sums and weights.
void RelocateEmpty(const PointSet& x, const std::vector<double>& dist2,
                   std::vector<int32_t>& labels, std::vector<double>& sums,
                   std::vector<double>& weights) {
  const size_t k = weights.size();
  const size_t d = x.dims();
  std::vector<size_t> empty;
  for (size_t c = 0; c < k; ++c)
    if (!(weights[c] > 0)) empty.push_back(c);
  if (empty.empty()) return;
  // The farthest rows: a min-heap of (distance, -row) of size |empty|.
  using Item = std::pair<double, int64_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> heap;
  for (size_t i = 0; i < dist2.size(); ++i) {
    const Item item{dist2[i], -static_cast<int64_t>(i)};
    if (heap.size() < empty.size()) {
      heap.push(item);
    } else if (heap.top() < item) {
      heap.pop();
      heap.push(item);
    }
  }
  std::vector<size_t> far;
  while (!heap.empty()) {
    far.push_back(static_cast<size_t>(-heap.top().second));
    heap.pop();
  }
  std::reverse(far.begin(), far.end());
  std::vector<double> row(d);
  for (size_t t = 0; t < empty.size() && t < far.size(); ++t) {
    const size_t i = far[t];
    const auto old = static_cast<size_t>(labels[i]);
    const double w = x.weight(i);
    if (!(w > 0) || weights[old] - w <= 0) continue;  // would empty another cluster
    x.CopyRow(i, row.data());
    for (size_t j = 0; j < d; ++j) {
      sums[old * d + j] -= w * row[j];
      sums[empty[t] * d + j] = w * row[j];
    }
    weights[old] -= w;
    weights[empty[t]] = w;
    labels[i] = static_cast<int32_t>(empty[t]);
  }
}

}  // namespace

double Inertia(const PointSet& x, std::span<const double> centres, std::span<const int32_t> labels,
               core::ThreadPool& pool) {
  const size_t d = x.dims();
  return SumRows(x.rows(), pool, [&](size_t i) {
    return x.weight(i) * x.SquaredDistance(i, centres.data() + static_cast<size_t>(labels[i]) * d);
  });
}

std::vector<double> RandomRows(const PointSet& x, size_t k, core::Rng& rng) {
  const size_t n = x.rows();
  const size_t d = x.dims();
  std::vector<uint32_t> pick(n);
  std::iota(pick.begin(), pick.end(), 0u);
  for (size_t t = 0; t < k; ++t) std::swap(pick[t], pick[t + rng.UniformInt(n - t)]);
  std::vector<double> centres(k * d);
  for (size_t t = 0; t < k; ++t) x.CopyRow(pick[t], centres.data() + t * d);
  return centres;
}

std::vector<double> KMeansPlusPlus(const PointSet& x, size_t k, core::Rng& rng,
                                   core::ThreadPool& pool) {
  const size_t n = x.rows();
  const size_t d = x.dims();
  const size_t trials = 2 + static_cast<size_t>(std::log(static_cast<double>(k)));
  std::vector<double> centres(k * d);

  const std::vector<double> wsums = BlockSums(x.weights(), pool);
  double total_w = 0;
  for (double v : wsums) total_w += v;
  size_t first = SearchCumulative(x.weights(), wsums, rng.Uniform() * total_w);
  x.CopyRow(first, centres.data());

  std::vector<double> closest;
  x.DistancesTo(std::span<const double>(centres.data(), d), 1, pool, &closest);
  std::vector<double> weighted(n);
  auto weigh = [&](const std::vector<double>& dist) {
    core::ParallelForBlocks(pool, 0, n, kSumBlock, [&](size_t b, size_t e, size_t) {
      for (size_t i = b; i < e; ++i) weighted[i] = x.weight(i) * dist[i];
    });
    return BlockSums(weighted, pool);
  };
  std::vector<double> potential_blocks = weigh(closest);
  double potential = 0;
  for (double v : potential_blocks) potential += v;

  std::vector<double> candidates(trials * d);
  std::vector<double> to_candidates;
  std::vector<size_t> ids(trials);
  for (size_t c = 1; c < k; ++c) {
    for (size_t t = 0; t < trials; ++t) {
      ids[t] = SearchCumulative(weighted, potential_blocks, rng.Uniform() * potential);
      x.CopyRow(ids[t], candidates.data() + t * d);
    }
    x.DistancesTo(candidates, trials, pool, &to_candidates);
    // Potential of each candidate: Σ w · min(closest, distance to it).
    std::vector<std::vector<double>> pot_blocks(trials);
    for (size_t t = 0; t < trials; ++t) pot_blocks[t].assign(core::NumBlocks(n, kSumBlock), 0.0);
    core::ParallelForBlocks(pool, 0, n, kSumBlock, [&](size_t b, size_t e, size_t block) {
      for (size_t t = 0; t < trials; ++t) {
        double s = 0;
        for (size_t i = b; i < e; ++i) {
          s += x.weight(i) * std::min(closest[i], to_candidates[i * trials + t]);
        }
        pot_blocks[t][block] = s;
      }
    });
    size_t best = 0;
    double best_pot = std::numeric_limits<double>::infinity();
    for (size_t t = 0; t < trials; ++t) {
      double s = 0;
      for (double v : pot_blocks[t]) s += v;
      if (s < best_pot) {
        best_pot = s;
        best = t;
      }
    }
    for (size_t i = 0; i < n; ++i)
      closest[i] = std::min(closest[i], to_candidates[i * trials + best]);
    std::copy_n(candidates.data() + best * d, d, centres.data() + c * d);
    potential_blocks = weigh(closest);
    potential = 0;
    for (double v : potential_blocks) potential += v;
  }
  return centres;
}

core::Result<KMeansResult> Lloyd(const PointSet& x, std::vector<double> centres,
                                 const KMeansOptions& options, core::Context& ctx) {
  const size_t k = options.k;
  const size_t d = x.dims();
  const double tol = options.tol * x.mean_variance();
  KMeansResult result;
  result.stop_reason = "max_iter";
  std::vector<int32_t> labels, previous;
  std::vector<double> dist2, sums, weights;
  bool strict = false;
  auto progress =
      ctx.progress().Start(options.label, static_cast<uint64_t>(options.max_iter), "iter");
  for (int it = 0; it < options.max_iter; ++it) {
    KILN_RETURN_IF_ERROR(ctx.CheckCancelled(options.label));
    x.Assign(centres, k, ctx.pool(), &labels, &dist2);
    ClusterSums(x, labels, k, ctx.pool(), &sums, &weights);
    RelocateEmpty(x, dist2, labels, sums, weights);
    double shift = 0;
    for (size_t c = 0; c < k; ++c) {
      if (!(weights[c] > 0)) continue;  // still empty: keeps its centre
      for (size_t j = 0; j < d; ++j) {
        const double v = sums[c * d + j] / weights[c];
        const double delta = v - centres[c * d + j];
        shift += delta * delta;
        centres[c * d + j] = v;
      }
    }
    result.iterations = it + 1;
    progress->Set(static_cast<uint64_t>(it + 1));
    progress->SetNote(fmt::format("shift {:.3g}", shift));
    if (it > 0 && labels == previous) {
      strict = true;
      result.converged = true;
      result.stop_reason = "assignment unchanged";
      break;
    }
    if (shift <= tol) {
      result.converged = true;
      result.stop_reason = "tol";
      break;
    }
    previous.swap(labels);
  }
  progress->Finish();
  // The labels of the final centres (unless the last assignment already was).
  if (!strict) x.Assign(centres, k, ctx.pool(), &labels, &dist2);
  result.inertia = Inertia(x, centres, labels, ctx.pool());
  result.centres = std::move(centres);
  return result;
}

core::Result<KMeansResult> MiniBatch(const PointSet& x, std::vector<double> centres,
                                     const KMeansOptions& options, core::Rng& rng,
                                     core::Context& ctx) {
  const size_t n = x.rows();
  const size_t k = options.k;
  const size_t d = x.dims();
  const size_t batch = std::min(options.batch_size, n);
  const size_t steps =
      std::max<size_t>(1, static_cast<size_t>(options.max_iter) * n / std::max<size_t>(batch, 1));
  const double alpha = std::min(1.0, static_cast<double>(batch) * 2.0 / static_cast<double>(n + 1));
  KMeansResult result;
  result.stop_reason = "max_iter";
  std::vector<double> counts(k, 0.0);  // weight each centre has absorbed so far
  std::vector<uint32_t> rows(batch);
  std::vector<int32_t> labels;
  std::vector<double> dist2, row(d);
  double ewa = 0;
  double best_ewa = std::numeric_limits<double>::infinity();
  int no_improvement = 0;
  auto progress = ctx.progress().Start(options.label, steps, "steps");
  for (size_t step = 0; step < steps; ++step) {
    if (step % 64 == 0) KILN_RETURN_IF_ERROR(ctx.CheckCancelled(options.label));
    for (uint32_t& r : rows) r = static_cast<uint32_t>(rng.UniformInt(n));
    x.AssignRows(rows, centres, k, ctx.pool(), &labels, &dist2);
    double batch_inertia = 0;
    for (size_t q = 0; q < batch; ++q) batch_inertia += x.weight(rows[q]) * dist2[q];
    batch_inertia /= static_cast<double>(batch);
    // Each centre becomes the weighted mean of everything it was given, old and new.
    std::vector<size_t> offset;
    std::vector<uint32_t> order;
    GroupByLabel(labels, k, &offset, &order);
    for (size_t c = 0; c < k; ++c) {
      if (offset[c] == offset[c + 1]) continue;
      double* centre = centres.data() + c * d;
      double added = 0;
      std::fill(row.begin(), row.end(), 0.0);
      for (size_t q = offset[c]; q < offset[c + 1]; ++q) {
        const size_t i = rows[order[q]];
        x.AddRow(i, x.weight(i), row.data());
        added += x.weight(i);
      }
      if (!(added > 0)) continue;
      for (size_t j = 0; j < d; ++j) {
        centre[j] = (centre[j] * counts[c] + row[j]) / (counts[c] + added);
      }
      counts[c] += added;
    }
    result.iterations = static_cast<int>(step + 1);
    if (step % 16 == 0) progress->Set(step + 1);
    // scikit-learn's early stop: an exponentially weighted average of the batch inertia (the
    // first step, measured against the initial centres, does not count).
    if (step == 0) continue;
    ewa = step == 1 ? batch_inertia : ewa * (1 - alpha) + batch_inertia * alpha;
    if (ewa < best_ewa) {
      best_ewa = ewa;
      no_improvement = 0;
    } else if (options.max_no_improvement > 0 && ++no_improvement >= options.max_no_improvement) {
      result.converged = true;
      result.stop_reason = "max_no_improvement";
      break;
    }
  }
  progress->Finish();
  x.Assign(centres, k, ctx.pool(), &labels, &dist2);
  result.inertia = Inertia(x, centres, labels, ctx.pool());
  result.centres = std::move(centres);
  return result;
}

}  // namespace kiln::algorithms::cluster
