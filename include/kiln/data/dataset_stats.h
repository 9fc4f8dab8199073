// Per-column statistics of a Dataset (count, missing, mean, std, min, max for numeric columns;
// distinct values for categorical ones; the shape of sparse features), as recorded with every
// dataset version and shown by `kiln datasets show`.
#pragma once

#include <nlohmann/json.hpp>

#include "kiln/data/column.h"
#include "kiln/data/dataset.h"

namespace kiln::data {

// {"name", "type", "count", "missing", ...} for one column.
nlohmann::json ColumnStatsJson(const Column& column);
// An array: every dense feature column, then the label; for sparse data one entry with the
// number of columns and nonzeros, then the label.
nlohmann::json DatasetStatsJson(const Dataset& dataset);

}  // namespace kiln::data
