// Gradient histograms: for one tree node, the sums of gradients and hessians of its rows per
// bin of every feature. A node's histogram is one flat array of HistBin; feature j's bins sit at
// [layout.offset(j), layout.offset(j) + layout.num_bins(j)). Sums are in double and each feature
// is summed by one thread in row order, so histograms never depend on the thread count.
//
// The learner builds the histogram of the smaller child of a split and gets its sibling by
// subtraction from the parent (histogram subtraction), so each level reads at most half the rows.
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
