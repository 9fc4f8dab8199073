#include "kiln/data/bin_mapper.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include "kiln/core/random.h"

namespace kiln::data {
namespace {

// A bound between neighbouring distinct values a < b: their midpoint in float, or b when the
// midpoint rounds onto a (adjacent floats) or is not a number (a = -inf).
float Between(float a, float b) {
  const auto m = static_cast<float>(static_cast<double>(a) +
                                    (static_cast<double>(b) - static_cast<double>(a)) / 2);
  return m > a ? m : b;
}

// Upper bounds for sorted, non-missing values: one bin per distinct value when they fit, else
// bins of about equal counts where a heavily repeated value keeps a bin to itself.
std::vector<float> NumericBounds(const std::vector<float>& sorted, uint32_t max_bins) {
  std::vector<float> distinct;
  std::vector<double> count;
  for (float v : sorted) {
    if (distinct.empty() || v != distinct.back()) {
      distinct.push_back(v);
      count.push_back(0);
    }
    count.back() += 1;
  }
  std::vector<float> bounds;
  const size_t d = distinct.size();
  if (d <= max_bins) {
    for (size_t i = 0; i + 1 < d; ++i) bounds.push_back(Between(distinct[i], distinct[i + 1]));
    return bounds;
  }
  double rest = static_cast<double>(sorted.size());
  uint32_t bins_left = max_bins;
  double acc = 0;
  for (size_t i = 0; i + 1 < d && bins_left > 1; ++i) {
    double target = rest / bins_left;
    if (acc > 0 && count[i] >= target) {  // a big value starts a bin of its own
      bounds.push_back(Between(distinct[i - 1], distinct[i]));
      rest -= acc;
      acc = 0;
      if (--bins_left == 1) break;
      target = rest / bins_left;
    }
    acc += count[i];
    if (acc >= target) {
      bounds.push_back(Between(distinct[i], distinct[i + 1]));
      rest -= acc;
      acc = 0;
      --bins_left;
    }
  }
  return bounds;
}

// View positions of the rows whose numeric values set the bounds: all of them, or a seeded
// uniform sample (selection sampling, in increasing order).
std::vector<uint32_t> SampleRows(size_t n, size_t want, uint64_t seed) {
  std::vector<uint32_t> out;
  if (n <= want) {
    out.resize(n);
    std::iota(out.begin(), out.end(), 0u);
    return out;
  }
  out.reserve(want);
  core::Rng rng(seed);
  size_t needed = want;
  for (size_t i = 0; i < n && needed > 0; ++i) {
    if (rng.UniformInt(n - i) < needed) {
      out.push_back(static_cast<uint32_t>(i));
      --needed;
    }
  }
  return out;
}

FeatureBins FitCategorical(const DatasetView& view, const Column& col,
                           const BinMapperOptions& options) {
  FeatureBins f;
  f.name = col.name;
  f.type = ColumnType::kCategorical;
  std::vector<uint64_t> count(col.categories.size(), 0);
  for (size_t i = 0; i < view.size(); ++i) {
    const int32_t code = col.codes[view.row(i)];
    if (code >= 0) ++count[static_cast<size_t>(code)];
  }
  std::vector<uint32_t> order;
  for (uint32_t c = 0; c < count.size(); ++c) {
    if (count[c] > 0 && count[c] >= options.min_category_count) order.push_back(c);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return count[a] > count[b]; });
  if (order.size() > options.max_bins) order.resize(options.max_bins);
  for (uint32_t c : order) f.categories.push_back(col.categories[c]);
  return f;
}

}  // namespace

uint32_t FeatureBins::NumericBin(float v) const {
  if (std::isnan(v)) return missing_bin();
  return static_cast<uint32_t>(std::upper_bound(upper_bounds.begin(), upper_bounds.end(), v) -
                               upper_bounds.begin());
}

core::Result<BinMapper> BinMapper::Fit(const DatasetView& view, const BinMapperOptions& options,
                                       core::ThreadPool& pool) {
  const Dataset& ds = view.dataset();
  if (ds.is_sparse()) {
    return core::Unimplemented(
        "binning needs dense columns (CSV or JSON Lines data), but the data is sparse (LibSVM)");
  }
  if (ds.columns().empty()) {
    return core::DataError("the data has no feature columns to bin (only a label?)");
  }
  if (options.max_bins < 2 || options.max_bins > 65535) {
    return core::InvalidArgument("max_bins must be in [2, 65535], found {}", options.max_bins);
  }
  if (options.sample_rows == 0) {
    return core::InvalidArgument("the binning sample needs at least one row, found 0");
  }
  const std::vector<uint32_t> sample = SampleRows(view.size(), options.sample_rows, options.seed);
  std::vector<FeatureBins> features(ds.columns().size());
  pool.Run(features.size(), [&](size_t j) {
    const Column& col = ds.columns()[j];
    if (col.type == ColumnType::kCategorical) {
      features[j] = FitCategorical(view, col, options);
      return;
    }
    std::vector<float> values;
    values.reserve(sample.size());
    for (uint32_t i : sample) {
      const float v = col.values[view.row(i)];
      if (!std::isnan(v)) values.push_back(v);
    }
    std::sort(values.begin(), values.end());
    features[j].name = col.name;
    features[j].type = ColumnType::kNumeric;
    features[j].upper_bounds = NumericBounds(values, options.max_bins);
  });
  return BinMapper(std::move(features));
}

uint32_t BinMapper::max_num_bins() const {
  uint32_t m = 0;
  for (const FeatureBins& f : features_) m = std::max(m, f.num_bins());
  return m;
}

std::vector<uint32_t> BinMapper::CategoryBins(size_t j, const Column& column) const {
  const FeatureBins& f = features_[j];
  std::unordered_map<std::string_view, uint32_t> bin_of;
  for (uint32_t b = 0; b < f.categories.size(); ++b) bin_of.emplace(f.categories[b], b);
  std::vector<uint32_t> out(column.categories.size(), f.missing_bin());
  for (size_t c = 0; c < column.categories.size(); ++c) {
    auto it = bin_of.find(column.categories[c]);
    if (it != bin_of.end()) out[c] = it->second;
  }
  return out;
}

}  // namespace kiln::data
