// BinnedDataset: the rows of a DatasetView as bins (see bin_mapper.h), column-major — one
// contiguous column per feature, in uint8 when the feature has at most 256 bins (missing bin
// included), else uint16. What histogram-based tree learners read; the mapping itself stays in
// the BinMapper, so one mapper can bin several datasets (training, validation, a forest's
// bootstrap samples share one binned copy). Row i is the view's row i.
// Immutable once built; thread-safe reads.
#pragma once

#include <cstdint>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/core/thread_pool.h"
#include "kiln/data/bin_mapper.h"
#include "kiln/data/dataset_view.h"

namespace kiln::data {

class BinnedDataset {
 public:
  BinnedDataset() = default;

  // Bins every row of `view` with `mapper`, finding the mapper's features by column name.
  // Errors: a missing column, or one whose type differs from the mapper's feature.
  static core::Result<BinnedDataset> Build(const DatasetView& view, const BinMapper& mapper,
                                           core::ThreadPool& pool);

  size_t num_rows() const { return rows_; }
  size_t num_features() const { return columns_.size(); }
  uint32_t num_bins(size_t j) const { return columns_[j].num_bins; }
  // Storage of feature j: narrow_bins(j) when !wide(j), else wide_bins(j); num_rows() entries.
  bool wide(size_t j) const { return columns_[j].num_bins > 256; }
  const uint8_t* narrow_bins(size_t j) const { return columns_[j].narrow.data(); }
  const uint16_t* wide_bins(size_t j) const { return columns_[j].wide.data(); }
  uint32_t bin(size_t j, size_t row) const {
    return wide(j) ? columns_[j].wide[row] : columns_[j].narrow[row];
  }
  size_t MemoryBytes() const;

 private:
  struct BinColumn {
    uint32_t num_bins = 0;
    std::vector<uint8_t> narrow;
    std::vector<uint16_t> wide;
  };
  size_t rows_ = 0;
  std::vector<BinColumn> columns_;
};

}  // namespace kiln::data
