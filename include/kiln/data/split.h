// Seeded train/test splits and k-fold cross-validation over a DatasetView. Deterministic for a
// given seed; stratified variants keep class proportions (by label code / value).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/data/dataset_view.h"

namespace kiln::data {

struct SplitOptions {
  double test_fraction = 0.2;  // in (0, 1)
  uint64_t seed = 42;
  bool stratify = false;  // needs a label
  bool shuffle = true;
};

// (train, test). Errors on a fraction outside (0, 1), or on a split that leaves either side empty.
core::Result<std::pair<DatasetView, DatasetView>> TrainTestSplit(const DatasetView& view,
                                                                 const SplitOptions& options);

struct Fold {
  DatasetView train;
  DatasetView test;
};
// k folds; every row is in exactly one test fold. Errors when k < 2 or k > rows.
core::Result<std::vector<Fold>> KFold(const DatasetView& view, int k, const SplitOptions& options);

}  // namespace kiln::data
