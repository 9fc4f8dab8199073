#include "histogram.h"

#include <algorithm>
#include <array>
#include <utility>

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
    Accumulate(bins.wide_bins(j), rows, first, grads, count, hist);
  } else {
    Accumulate(bins.narrow_bins(j), rows, first, grads, count, hist);
  }
}

namespace {

template <size_t K>
void AccumulateGroup(const uint8_t* const* cols, const uint32_t* rows, size_t first,
                     const GradPair* grads, size_t count, HistBin* const* hists) {
  for (size_t i = 0; i < count; ++i) {
    const size_t r = rows == nullptr ? first + i : rows[i];
    const double g = grads[i].g, h = grads[i].h;
    for (size_t q = 0; q < K; ++q) {
      HistBin& e = hists[q][cols[q][r]];
      e.g += g;
      e.h += h;
    }
  }
}

using GroupKernel = void (*)(const uint8_t* const*, const uint32_t*, size_t, const GradPair*,
                             size_t, HistBin* const*);

// AccumulateGroup<1> ... AccumulateGroup<kMaxFeatureGroup>, by group size - 1.
template <size_t... I>
constexpr std::array<GroupKernel, sizeof...(I)> MakeKernels(std::index_sequence<I...>) {
  return {&AccumulateGroup<I + 1>...};
}
constexpr std::array<GroupKernel, kMaxFeatureGroup> kKernels =
    MakeKernels(std::make_index_sequence<kMaxFeatureGroup>());

}  // namespace

FeatureGroups::FeatureGroups(const data::BinnedDataset& bins, const std::vector<size_t>& features) {
  for (size_t i = 0; i < features.size();) {
    if (bins.wide(features[i])) {
      groups_.push_back({{features[i]}, true});
      ++i;
      continue;
    }
    size_t run_end = i;
    while (run_end < features.size() && !bins.wide(features[run_end])) ++run_end;
    const size_t run = run_end - i;
    const size_t count = (run + kMaxFeatureGroup - 1) / kMaxFeatureGroup;
    for (size_t g = 0; g < count; ++g) {
      Group group;
      group.members.assign(features.begin() + static_cast<long>(i + run * g / count),
                           features.begin() + static_cast<long>(i + run * (g + 1) / count));
      groups_.push_back(std::move(group));
    }
    i = run_end;
  }
}

void BuildGroupHistogram(const data::BinnedDataset& bins, const FeatureGroups& groups, size_t g,
                         const uint32_t* rows, size_t first, const GradPair* grads, size_t count,
                         HistBin* const* hists) {
  const std::vector<size_t>& members = groups.members(g);
  if (groups.is_wide(g)) {
    BuildFeatureHistogram(bins, members[0], rows, first, grads, count, hists[0]);
    return;
  }
  const uint8_t* cols[kMaxFeatureGroup];
  for (size_t q = 0; q < members.size(); ++q) {
    cols[q] = bins.narrow_bins(members[q]);
    std::fill(hists[q], hists[q] + bins.num_bins(members[q]), HistBin{});
  }
  kKernels[members.size() - 1](cols, rows, first, grads, count, hists);
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
