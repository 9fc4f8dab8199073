#include "kiln/data/dataset_stats.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace kiln::data {

nlohmann::json ColumnStatsJson(const Column& column) {
  nlohmann::json stats;
  stats["name"] = column.name;
  stats["type"] = std::string(ColumnTypeName(column.type));
  const size_t n = column.size();
  size_t missing = 0;
  if (column.type == ColumnType::kCategorical) {
    std::vector<uint8_t> seen(column.categories.size(), 0);
    for (size_t r = 0; r < n; ++r) {
      const int32_t code = column.codes[r];
      if (code < 0) {
        ++missing;
      } else {
        seen[static_cast<size_t>(code)] = 1;
      }
    }
    size_t distinct = 0;
    for (uint8_t s : seen) distinct += s;
    stats["distinct"] = distinct;
  } else {
    double sum = 0, sum_sq = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t r = 0; r < n; ++r) {
      const double v = column.values[r];
      if (std::isnan(v)) {
        ++missing;
        continue;
      }
      sum += v;
      sum_sq += v * v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    const size_t count = n - missing;
    if (count > 0) {
      const double mean = sum / static_cast<double>(count);
      stats["mean"] = mean;
      stats["std"] = std::sqrt(std::max(0.0, sum_sq / static_cast<double>(count) - mean * mean));
      stats["min"] = lo;
      stats["max"] = hi;
    }
  }
  stats["count"] = n - missing;
  stats["missing"] = missing;
  return stats;
}

nlohmann::json DatasetStatsJson(const Dataset& dataset) {
  nlohmann::json columns = nlohmann::json::array();
  if (dataset.is_sparse()) {
    nlohmann::json sparse;
    sparse["name"] = "(sparse features)";
    sparse["type"] = "sparse";
    sparse["nonzeros"] = dataset.csr().values.size();
    sparse["columns"] = dataset.csr().num_cols;
    columns.push_back(sparse);
  } else {
    for (const Column& column : dataset.columns()) columns.push_back(ColumnStatsJson(column));
  }
  if (dataset.label() != nullptr) columns.push_back(ColumnStatsJson(*dataset.label()));
  return columns;
}

}  // namespace kiln::data
