// Booster: the boosting rounds of gbdt. Each round computes the objective's gradients at the
// current margins, draws the round's rows (subsample) and each tree's features (colsample),
// grows one tree per output with the TreeLearner, renews leaf values where the objective asks
// (quantile), and adds the tree to the training margins (from the learner's leaf partition;
// unsampled rows are routed through the bins) and to the validation margins (from raw values).
// With early stopping the validation loss is checked after every round and the forest is cut
// back to the best round. Every random draw comes from the seed and the round/tree index, and
// every parallel step is deterministic, so the forest is the same for any thread count.
#pragma once

#include <span>
#include <vector>

#include "forest.h"
#include "gbdt_params.h"
#include "kiln/core/context.h"
#include "kiln/data/binned_dataset.h"
#include "objective.h"

namespace kiln::algorithms::tree {

struct BoostData {
  const data::BinnedDataset* bins = nullptr;
  const data::BinMapper* mapper = nullptr;
  const Targets* train = nullptr;
  std::vector<double>* margins = nullptr;  // n x K, updated
  // Validation rows as feature values (rows x d floats), or empty.
  std::span<const float> valid_x;
  const Targets* valid = nullptr;
  std::vector<double>* valid_margins = nullptr;  // updated
};

struct BoostReport {
  int rounds = 0;       // rounds kept in the forest (after early stopping)
  int rounds_run = 0;   // rounds grown
  int best_round = -1;  // 0-based, with validation
  double best_valid_loss = 0;
  bool stopped_early = false;
};

// Adds rounds to `forest`. Cancellation is checked between rounds.
core::Result<BoostReport> Boost(const GbdtConfig& config, const Objective& objective,
                                const SplitFinder& finder, BoostData& data, ForestBuilder& forest,
                                core::Context& ctx);

}  // namespace kiln::algorithms::tree
