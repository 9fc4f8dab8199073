// Gradient histograms: for one tree node, the sums of gradients and hessians of its rows per
// bin of every feature. A node's histogram is one flat array of HistBin; feature j's bins sit at
// [layout.offset(j), layout.offset(j) + layout.num_bins(j)). Sums are in double and each feature
// is summed by one thread in row order, so histograms never depend on the thread count.
//
// The learner builds the histogram of the smaller child of a split and gets its sibling by
// subtraction from the parent (histogram subtraction), so each level reads at most half the rows.
//
// Histograms are built per task of one node and one feature group (see FeatureGroups): each
// feature is summed in row order within its task, so the result does not depend on the
// thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kiln/data/binned_dataset.h"
#include "objective.h"

namespace kiln::algorithms::tree {

struct HistBin {
  double g = 0;
  double h = 0;
};

class HistLayout {
 public:
  explicit HistLayout(const data::BinnedDataset& bins);
  size_t num_features() const { return num_bins_.size(); }
  size_t offset(size_t j) const { return offset_[j]; }
  uint32_t num_bins(size_t j) const { return num_bins_[j]; }
  size_t total() const { return total_; }

 private:
  std::vector<size_t> offset_;
  std::vector<uint32_t> num_bins_;
  size_t total_ = 0;
};

// Sets feature j's bins of `hist` to the sums over `count` rows: rows[i] are positions in
// `bins` (or, when rows is null, positions first, first + 1, ...) and grads[i] is the gradient
// pair of the i-th of them.
void BuildFeatureHistogram(const data::BinnedDataset& bins, size_t j, const uint32_t* rows,
                           size_t first, const GradPair* grads, size_t count, HistBin* hist);

inline constexpr size_t kMaxFeatureGroup = 8;

// Features grouped for histogram building: runs of 8-bit features cut into groups of equal
// size (at most kMaxFeatureGroup; 28 features make 4 groups of 7, so a node's tasks balance
// across threads); a 16-bit feature is a group of its own. A group's features share one pass
// over the node's row positions and gradients, and their histograms (7 x 4 KB) stay in the L1
// cache. (A row-major copy of each group's bins, so that one cache line serves a row's whole
// group, measured slower than these column gathers on the benchmark data, and was dropped.)
// Immutable after construction.
class FeatureGroups {
 public:
  FeatureGroups(const data::BinnedDataset& bins, const std::vector<size_t>& features);
  size_t size() const { return groups_.size(); }
  const std::vector<size_t>& members(size_t g) const { return groups_[g].members; }
  bool is_wide(size_t g) const { return groups_[g].wide; }

 private:
  struct Group {
    std::vector<size_t> members;
    bool wide = false;
  };
  std::vector<Group> groups_;
};

// Sets the histogram slices hists[q] of every member q of group g to the sums over `count`
// rows (rows[i], or first + i when rows is null) with gradient pairs grads[i].
void BuildGroupHistogram(const data::BinnedDataset& bins, const FeatureGroups& groups, size_t g,
                         const uint32_t* rows, size_t first, const GradPair* grads, size_t count,
                         HistBin* const* hists);

// sibling[b] = parent[b] - child[b] for `count` bins, written over the parent.
void SubtractHistogram(HistBin* parent, const HistBin* child, size_t count);

// Reusable node histograms (the learner keeps one per node that may still be split).
// Not thread-safe.
class HistogramPool {
 public:
  explicit HistogramPool(size_t bins_per_histogram) : size_(bins_per_histogram) {}
  // The index of a free histogram (contents undefined).
  int Acquire();
  void Release(int index) { free_.push_back(index); }
  HistBin* Get(int index) { return buffers_[static_cast<size_t>(index)].data(); }

 private:
  size_t size_;
  std::vector<std::vector<HistBin>> buffers_;
  std::vector<int> free_;
};

}  // namespace kiln::algorithms::tree
