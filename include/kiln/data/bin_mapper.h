// BinMapper: how each feature's values become small integer bins for histogram-based tree
// learners (gbdt; decision_tree and random_forest can share it). It holds only the mapping —
// numeric upper bounds from quantiles, categorical bins by frequency — never the binned data,
// which lives in a BinnedDataset (binned_dataset.h).
//
// Every feature has value bins 0 .. value_bins()-1 and one more bin, missing_bin() ==
// value_bins(), for missing values (and, for categorical features, for categories without a
// bin of their own: rare, or unseen when the mapping is applied to other data).
//   numeric:     bin(v) = the number of upper bounds <= v, so "bin <= b" <=> "v < bounds[b]";
//                a split after bin b is the threshold test v < Threshold(b) on raw values.
//                With at most max_bins distinct values each value has its own bin (bounds at
//                the midpoints between neighbours); with more, bins hold about equal numbers of
//                (sampled) rows, and a value repeated more often than that gets a bin alone.
//   categorical: the max_bins most frequent categories seen at least min_category_count times
//                (ties by first appearance), in order of decreasing count.
// Immutable once fitted; thread-safe reads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/core/thread_pool.h"
#include "kiln/data/column.h"
#include "kiln/data/dataset_view.h"

namespace kiln::data {

struct BinMapperOptions {
  uint32_t max_bins = 255;  // value bins per feature, in [2, 65535]; <= 255 keeps bins in a byte
  uint32_t min_category_count = 1;  // rarer categories share the missing bin
  size_t sample_rows = 200'000;     // numeric bounds come from at most this many rows
  uint64_t seed = 0;                // picks the sampled rows (all rows when there are fewer)
};

// The bins of one feature.
struct FeatureBins {
  std::string name;
  ColumnType type = ColumnType::kNumeric;
  std::vector<float> upper_bounds;      // numeric: strictly increasing, value_bins() - 1 of them
  std::vector<std::string> categories;  // categorical: the category of each value bin

  uint32_t value_bins() const {
    return static_cast<uint32_t>(type == ColumnType::kNumeric ? upper_bounds.size() + 1
                                                              : categories.size());
  }
  uint32_t missing_bin() const { return value_bins(); }
  uint32_t num_bins() const { return value_bins() + 1; }
  // Numeric only: the bin of `v` (NaN -> missing_bin()).
  uint32_t NumericBin(float v) const;
  // Numeric only: values below this go to bins <= `bin` (bin < value_bins() - 1).
  float Threshold(uint32_t bin) const { return upper_bounds[bin]; }
};

class BinMapper {
 public:
  BinMapper() = default;
  explicit BinMapper(std::vector<FeatureBins> features) : features_(std::move(features)) {}

  // One FeatureBins per dense feature column of the view's dataset, in column order.
  // Errors: sparse data, no feature columns, options out of range.
  static core::Result<BinMapper> Fit(const DatasetView& view, const BinMapperOptions& options,
                                     core::ThreadPool& pool);

  size_t num_features() const { return features_.size(); }
  const FeatureBins& feature(size_t j) const { return features_[j]; }
  const std::vector<FeatureBins>& features() const { return features_; }
  // Largest num_bins() over the features.
  uint32_t max_num_bins() const;

  // Categorical feature j: the bin of each code of `column`'s dictionary (categories without a
  // bin of their own map to the missing bin).
  std::vector<uint32_t> CategoryBins(size_t j, const Column& column) const;

 private:
  std::vector<FeatureBins> features_;
};

}  // namespace kiln::data
