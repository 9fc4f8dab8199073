// CART learner for decision_tree and random_forest: grows one classification tree (Gini or
// entropy on per-class weights) or regression tree (squared error) on the quantile bins of a
// BinnedDataset (data/binned_dataset.h), best split first (so max_leaves keeps the best splits;
// without it the result equals depth-first growth). Rows carry integer weights, so a bootstrap
// sample is the distinct rows drawn with their multiplicities (as scikit-learn does it);
// min_samples_leaf / min_samples_split count distinct rows.
//
// Numeric splits are "bin <= b" (value < the bin's upper bound); the missing bin goes to
// whichever side gains more. Categorical columns are split on their category index (categories
// ordered by frequency) the same way, with rare/unseen categories on the missing side.
// GrowCart is thread-safe for distinct outputs (random forest grows trees in parallel).
#pragma once

#include <cstdint>
#include <vector>

#include "kiln/core/random.h"
#include "kiln/data/bin_mapper.h"
#include "kiln/data/binned_dataset.h"
#include "tree.h"

namespace kiln::algorithms::tree {

struct CartConfig {
  int max_depth = 0;             // 0: unlimited
  size_t min_samples_split = 2;  // distinct rows a node needs to be split
  size_t min_samples_leaf = 1;   // distinct rows each child needs
  size_t max_leaves = 0;         // 0: unlimited
  bool entropy = false;          // classification: entropy instead of Gini
  size_t max_features = 0;       // features tried per node; 0 or >= d: all
};

struct CartData {
  const data::BinnedDataset* bins = nullptr;
  const data::BinMapper* mapper = nullptr;
  size_t num_classes = 0;            // 0: regression
  const int32_t* classes = nullptr;  // classification: class index per row
  const double* targets = nullptr;   // regression: target per row
};

struct CartTree {
  Tree tree;                 // leaves' value: regression mean / majority class index
  std::vector<double> dist;  // per node: class distribution (num_classes) or mean (1)
};

// Grows a tree on `rows` (distinct row indices) with weights `weight[row]` (> 0).
CartTree GrowCart(const CartConfig& config, const CartData& data, std::vector<uint32_t> rows,
                  const std::vector<uint32_t>& weight, core::Rng& rng);

}  // namespace kiln::algorithms::tree
