// TreeLearner: grows one regression tree on binned rows and their gradient pairs.
//   depth-wise: level by level, every node whose best split gains more than min_split_gain is
//               split (while the depth and leaf limits allow), as XGBoost's hist default;
//   leaf-wise:  always the leaf with the largest gain next (best-first), as LightGBM, until
//               max_leaves (31 when 0) or no split gains enough; max_depth still applies.
// Each split builds the histogram of its smaller child and subtracts it from the parent's for
// the larger one; children at the depth limit get no histogram at all. Histograms of all the
// nodes of a level are built in one parallel region, one task per (node, feature), so the tree
// does not depend on the thread count.
//
// Leaf values are the regularised Newton step -T(G)/(H + l2) within the monotone bounds, times
// the learning rate. Reusable across trees (buffers are kept); not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "histogram.h"
#include "kiln/core/thread_pool.h"
#include "kiln/data/bin_mapper.h"
#include "kiln/data/binned_dataset.h"
#include "row_partition.h"
#include "split_finder.h"
#include "tree.h"

namespace kiln::algorithms::tree {

struct TreeParams {
  int max_depth = 6;   // 0: no limit
  int max_leaves = 0;  // 0: no limit (depth-wise), 31 (leaf-wise)
  double min_split_gain = 0;
  bool leafwise = false;
  double learning_rate = 0.1;
  double colsample_bynode = 1;
};

class TreeLearner {
 public:
  // The references must outlive the learner.
  TreeLearner(const data::BinnedDataset& bins, const data::BinMapper& mapper,
              const SplitFinder& finder, const TreeParams& params, core::ThreadPool& pool);

  // Grows a tree on `rows` (increasing positions; every row when all_rows) whose gradient pairs
  // are grads[row]; only features with allowed[j] are split on. `seed` drives colsample_bynode.
  Tree Grow(std::span<const uint32_t> rows, bool all_rows, const GradPair* grads,
            const std::vector<uint8_t>& allowed, uint64_t seed);

  struct Leaf {
    int32_t node;
    size_t begin, end;  // its rows: rows()[begin, end)
  };
  // After Grow: the leaves of the tree and the partitioned row positions.
  const std::vector<Leaf>& leaves() const { return leaves_; }
  const uint32_t* rows() const { return partition_.rows(); }

 private:
  struct Open {
    int32_t node = 0;
    size_t begin = 0, end = 0;
    double g = 0, h = 0;
    Bounds bounds;
    int depth = 0;
    int hist = -1;
    SplitInfo split;
  };

  // Histograms of `nodes` (each has a pool histogram) over the allowed features.
  void BuildHistograms(const std::vector<Open*>& nodes);
  void FindSplits(const std::vector<Open*>& nodes, uint64_t seed);
  bool CanSplit(const Open& o, size_t leaves) const;
  // Whether a child could be split later (so it needs a histogram).
  bool MaySplit(const Open& child, size_t leaves) const;
  void MakeLeaf(Open& o, Tree& tree);
  void GrowDepthwise(Open root, Tree& tree, uint64_t seed);
  void GrowLeafwise(Open root, Tree& tree, uint64_t seed);
  // Splits every node of `parents`, returning their children (left, right per parent) with
  // histograms for those that may split further.
  std::vector<Open> SplitNodes(std::vector<Open*>& parents, Tree& tree, size_t leaves);

  const data::BinnedDataset& bins_;
  const data::BinMapper& mapper_;
  const SplitFinder& finder_;
  TreeParams params_;
  core::ThreadPool& pool_;
  HistLayout layout_;
  HistogramPool hist_pool_;
  RowPartition partition_;
  std::vector<size_t> splittable_;  // features with something to split
  FeatureGroups groups_;
  std::vector<uint8_t> allowed_;  // the current tree's feature mask
  std::vector<size_t> features_;  // splittable and allowed in the current tree
  std::vector<Leaf> leaves_;
};

}  // namespace kiln::algorithms::tree
