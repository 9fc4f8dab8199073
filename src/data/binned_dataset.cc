#include "kiln/data/binned_dataset.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln::data {
namespace {

// Upper bounds padded with +inf to a power-of-two length, for a branch-free search.
struct PaddedBounds {
  std::vector<float> values;
  uint32_t count = 0;  // real bounds

  explicit PaddedBounds(const std::vector<float>& bounds)
      : count(static_cast<uint32_t>(bounds.size())) {
    size_t size = 1;
    while (size < bounds.size() + 1) size *= 2;
    values.assign(size, std::numeric_limits<float>::infinity());
    std::copy(bounds.begin(), bounds.end(), values.begin());
  }
  // The number of bounds <= v (v not NaN), as FeatureBins::NumericBin.
  uint32_t Bin(float v) const {
    size_t lo = 0;
    for (size_t step = values.size() / 2; step > 0; step /= 2) {
      lo += values[lo + step - 1] <= v ? step : 0;
    }
    lo += values[lo] <= v ? 1 : 0;
    return std::min(static_cast<uint32_t>(lo), count);
  }
};

template <typename T>
void FillColumn(const DatasetView& view, const Column& col, const FeatureBins& f,
                const std::vector<uint32_t>& category_bins, std::vector<T>* out) {
  const size_t n = view.size();
  out->resize(n);
  T* bins = out->data();
  if (col.type == ColumnType::kNumeric) {
    const float* values = col.values.data();
    const PaddedBounds bounds(f.upper_bounds);
    const auto missing = static_cast<T>(f.missing_bin());
    for (size_t i = 0; i < n; ++i) {
      const float v = values[view.row(i)];
      bins[i] = std::isnan(v) ? missing : static_cast<T>(bounds.Bin(v));
    }
    return;
  }
  const int32_t* codes = col.codes.data();
  const auto missing = static_cast<T>(f.missing_bin());
  for (size_t i = 0; i < n; ++i) {
    const int32_t code = codes[view.row(i)];
    bins[i] = code < 0 ? missing : static_cast<T>(category_bins[static_cast<size_t>(code)]);
  }
}

}  // namespace

core::Result<BinnedDataset> BinnedDataset::Build(const DatasetView& view, const BinMapper& mapper,
                                                 core::ThreadPool& pool) {
  const Dataset& ds = view.dataset();
  if (ds.is_sparse()) {
    return core::Unimplemented("binned datasets need dense columns, but the data is sparse");
  }
  std::vector<const Column*> sources(mapper.num_features());
  for (size_t j = 0; j < mapper.num_features(); ++j) {
    const FeatureBins& f = mapper.feature(j);
    const int idx = ds.FindColumn(f.name);
    if (idx < 0) return core::NotFound("the data has no column '{}' to bin", f.name);
    sources[j] = &ds.columns()[static_cast<size_t>(idx)];
    if (sources[j]->type != f.type) {
      return core::DataError("column '{}' is {}, but its bins were made for a {} column", f.name,
                             ColumnTypeName(sources[j]->type), ColumnTypeName(f.type));
    }
  }
  BinnedDataset out;
  out.rows_ = view.size();
  out.columns_.resize(mapper.num_features());
  pool.Run(mapper.num_features(), [&](size_t j) {
    const FeatureBins& f = mapper.feature(j);
    BinColumn& c = out.columns_[j];
    c.num_bins = f.num_bins();
    std::vector<uint32_t> category_bins;
    if (f.type == ColumnType::kCategorical) category_bins = mapper.CategoryBins(j, *sources[j]);
    if (c.num_bins > 256) {
      FillColumn(view, *sources[j], f, category_bins, &c.wide);
    } else {
      FillColumn(view, *sources[j], f, category_bins, &c.narrow);
    }
  });
  return out;
}

size_t BinnedDataset::MemoryBytes() const {
  size_t bytes = 0;
  for (const BinColumn& c : columns_) bytes += c.narrow.size() + c.wide.size() * sizeof(uint16_t);
  return bytes;
}

}  // namespace kiln::data
