#include "booster.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "kiln/core/random.h"
#include "tree_learner.h"

namespace kiln::algorithms::tree {
namespace {

constexpr size_t kGrain = 16384;

uint64_t Mix(uint64_t seed, uint64_t stream, uint64_t salt) {
  return seed ^ (0x9E3779B97F4A7C15ULL * (stream + 1)) ^ (salt * 0xD1B54A32D192ED03ULL);
}

// The leaf a binned training row reaches.
const Node& BinnedLeaf(const Tree& tree, const data::BinnedDataset& bins, size_t row) {
  const Node* n = &tree.nodes[0];
  while (!n->is_leaf()) {
    const auto j = static_cast<size_t>(n->feature);
    const bool left = tree.BinGoesLeft(*n, bins.bin(j, row), bins.num_bins(j) - 1);
    n = &tree.nodes[static_cast<size_t>(left ? n->left : n->right)];
  }
  return *n;
}

// A Bernoulli sample of the rows (never empty).
std::vector<uint32_t> SampleRows(size_t n, double fraction, uint64_t seed) {
  core::Rng rng(seed);
  std::vector<uint32_t> rows;
  rows.reserve(static_cast<size_t>(static_cast<double>(n) * fraction * 1.05) + 16);
  for (size_t i = 0; i < n; ++i) {
    if (rng.Uniform() < fraction) rows.push_back(static_cast<uint32_t>(i));
  }
  if (rows.empty() && n > 0) rows.push_back(static_cast<uint32_t>(rng.UniformInt(n)));
  return rows;
}

// The features a tree may use: a seeded share of them (at least one).
std::vector<uint8_t> SampleFeatures(size_t d, double fraction, uint64_t seed) {
  std::vector<uint8_t> allowed(d, 1);
  if (fraction >= 1 || d <= 1) return allowed;
  std::vector<size_t> order(d);
  for (size_t j = 0; j < d; ++j) order[j] = j;
  core::Rng rng(seed);
  rng.Shuffle(order.begin(), order.end());
  const auto keep =
      std::max<size_t>(1, static_cast<size_t>(std::lround(fraction * static_cast<double>(d))));
  std::fill(allowed.begin(), allowed.end(), 0);
  for (size_t i = 0; i < keep; ++i) allowed[order[i]] = 1;
  return allowed;
}

// Quantile objective: each leaf's value becomes the alpha-quantile of its rows' residuals.
void RenewLeaves(Tree& tree, const TreeLearner& learner, const Targets& t,
                 const std::vector<double>& margins, size_t k, size_t outputs, double alpha,
                 double learning_rate, core::ThreadPool& pool) {
  const auto& leaves = learner.leaves();
  pool.Run(leaves.size(), [&](size_t l) {
    const TreeLearner::Leaf& leaf = leaves[l];
    if (leaf.end == leaf.begin) return;
    std::vector<std::pair<double, double>> items;
    items.reserve(leaf.end - leaf.begin);
    for (size_t i = leaf.begin; i < leaf.end; ++i) {
      const uint32_t row = learner.rows()[i];
      items.emplace_back(t.y[row] - margins[row * outputs + k], t.weight(row));
    }
    tree.nodes[static_cast<size_t>(leaf.node)].value =
        WeightedQuantile(items, alpha) * learning_rate;
  });
}

void AddToTrainMargins(const Tree& tree, const TreeLearner& learner, bool all_rows_grown,
                       const data::BinnedDataset& bins, size_t k, size_t outputs,
                       std::vector<double>& margins, core::ThreadPool& pool) {
  if (all_rows_grown) {
    const auto& leaves = learner.leaves();
    pool.Run(leaves.size(), [&](size_t l) {
      const TreeLearner::Leaf& leaf = leaves[l];
      const double v = tree.nodes[static_cast<size_t>(leaf.node)].value;
      for (size_t i = leaf.begin; i < leaf.end; ++i) margins[learner.rows()[i] * outputs + k] += v;
    });
    return;
  }
  core::ParallelForBlocks(pool, 0, bins.num_rows(), kGrain, [&](size_t begin, size_t end, size_t) {
    for (size_t r = begin; r < end; ++r)
      margins[r * outputs + k] += BinnedLeaf(tree, bins, r).value;
  });
}

void AddToValidMargins(const Tree& tree, std::span<const float> x, size_t d, size_t k,
                       size_t outputs, std::vector<double>& margins, core::ThreadPool& pool) {
  ForestBuilder one;
  one.Add(tree);
  const Forest f = one.Finish();
  const size_t rows = x.size() / d;
  core::ParallelForBlocks(pool, 0, rows, kGrain, [&](size_t begin, size_t end, size_t) {
    for (size_t i = begin; i < end; ++i) margins[i * outputs + k] += f.Value(0, x.data() + i * d);
  });
}

}  // namespace

core::Result<BoostReport> Boost(const GbdtConfig& config, const Objective& objective,
                                const SplitFinder& finder, BoostData& data, ForestBuilder& forest,
                                core::Context& ctx) {
  const data::BinnedDataset& bins = *data.bins;
  const size_t n = bins.num_rows(), k_out = objective.outputs(), d = bins.num_features();
  const bool subsample = config.subsample < 1;
  const bool early = config.early_stopping_rounds > 0 && data.valid != nullptr;
  const bool has_valid = data.valid != nullptr && !data.valid_x.empty();
  TreeLearner learner(bins, *data.mapper, finder, config.tree, ctx.pool());
  std::vector<GradPair> grads(k_out * n);
  const size_t base_trees = forest.num_trees();
  const uint64_t base_rounds = base_trees / k_out;
  BoostReport report;
  auto progress =
      ctx.progress().Start(kGbdtName, static_cast<uint64_t>(config.num_trees), "rounds");
  for (int round = 0; round < config.num_trees; ++round) {
    KILN_RETURN_IF_ERROR(ctx.CheckCancelled("gbdt training"));
    objective.Gradients(*data.margins, *data.train, grads, ctx.pool());
    const uint64_t r = base_rounds + static_cast<uint64_t>(round);
    std::vector<uint32_t> rows;
    if (subsample) rows = SampleRows(n, config.subsample, Mix(ctx.seed(), r, 1));
    for (size_t k = 0; k < k_out; ++k) {
      const uint64_t t = r * k_out + k;
      const std::vector<uint8_t> allowed =
          SampleFeatures(d, config.colsample, Mix(ctx.seed(), t, 2));
      Tree tree =
          learner.Grow(rows, !subsample, grads.data() + k * n, allowed, Mix(ctx.seed(), t, 3));
      if (objective.renews_leaves()) {
        RenewLeaves(tree, learner, *data.train, *data.margins, k, k_out, objective.quantile_alpha(),
                    config.tree.learning_rate, ctx.pool());
      }
      AddToTrainMargins(tree, learner, !subsample, bins, k, k_out, *data.margins, ctx.pool());
      if (has_valid)
        AddToValidMargins(tree, data.valid_x, d, k, k_out, *data.valid_margins, ctx.pool());
      forest.Add(tree);
    }
    report.rounds_run = round + 1;
    if (early) {
      const double loss = objective.Loss(*data.valid_margins, *data.valid, ctx.pool());
      if (report.best_round < 0 || loss < report.best_valid_loss) {
        report.best_round = round;
        report.best_valid_loss = loss;
      } else if (round - report.best_round >= config.early_stopping_rounds) {
        report.stopped_early = true;
      }
      progress->SetNote(fmt::format("valid {} {:.5g}", objective.metric_name(), loss));
    }
    progress->Set(static_cast<uint64_t>(round + 1));
    if (report.stopped_early) break;
  }
  progress->Finish();
  report.rounds = report.rounds_run;
  if (early && report.best_round >= 0) {
    report.rounds = report.best_round + 1;
    forest.Truncate(base_trees + static_cast<size_t>(report.rounds) * k_out);
  }
  return report;
}

}  // namespace kiln::algorithms::tree
