#include "histogram.h"

#include <algorithm>

namespace kiln::algorithms::tree {
namespace {

template <typename BinT>
void Accumulate(const BinT* col, const uint32_t* rows, size_t first, const GradPair* grads,
                size_t count, HistBin* hist) {
  if (rows == nullptr) {
    const BinT* c = col + first;
    for (size_t i = 0; i < count; ++i) {
      HistBin& b = hist[c[i]];
      b.g += grads[i].g;
      b.h += grads[i].h;
    }
    return;
  }
  for (size_t i = 0; i < count; ++i) {
    HistBin& b = hist[col[rows[i]]];
    b.g += grads[i].g;
    b.h += grads[i].h;
  }
}

}  // namespace

HistLayout::HistLayout(const data::BinnedDataset& bins) {
  for (size_t j = 0; j < bins.num_features(); ++j) {
    offset_.push_back(total_);
    num_bins_.push_back(bins.num_bins(j));
    total_ += bins.num_bins(j);
  }
}

void BuildFeatureHistogram(const data::BinnedDataset& bins, size_t j, const uint32_t* rows,
                           size_t first, const GradPair* grads, size_t count, HistBin* hist) {
  std::fill(hist, hist + bins.num_bins(j), HistBin{});
  if (bins.wide(j)) {
    Accumulate(bins.u16(j), rows, first, grads, count, hist);
  } else {
    Accumulate(bins.u8(j), rows, first, grads, count, hist);
  }
}

void SubtractHistogram(HistBin* parent, const HistBin* child, size_t count) {
  for (size_t b = 0; b < count; ++b) {
    parent[b].g -= child[b].g;
    parent[b].h -= child[b].h;
  }
}

int HistogramPool::Acquire() {
  if (!free_.empty()) {
    const int index = free_.back();
    free_.pop_back();
    return index;
  }
  buffers_.emplace_back(size_);
  return static_cast<int>(buffers_.size() - 1);
}

}  // namespace kiln::algorithms::tree
