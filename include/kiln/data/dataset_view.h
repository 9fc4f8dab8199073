// DatasetView: a subset of a Dataset's rows (a split or fold) without copying the data.
// Copying a view is cheap (the row list is shared). The Dataset must outlive its views.
// Thread-safe reads.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kiln/data/dataset.h"

namespace kiln::data {

class DatasetView {
 public:
  // All rows, in order.
  explicit DatasetView(const Dataset& dataset) : dataset_(&dataset) {}
  // The given rows (indices into the dataset), in the given order.
  DatasetView(const Dataset& dataset, std::vector<uint32_t> rows)
      : dataset_(&dataset), rows_(std::make_shared<const std::vector<uint32_t>>(std::move(rows))) {}

  const Dataset& dataset() const { return *dataset_; }
  size_t size() const { return rows_ ? rows_->size() : dataset_->num_rows(); }
  bool all_rows() const { return rows_ == nullptr; }
  // Dataset row of the view's i-th row.
  uint32_t row(size_t i) const { return rows_ ? (*rows_)[i] : static_cast<uint32_t>(i); }

  // Label value helpers (the dataset must have a label).
  float weight(size_t i) const {
    return dataset_->has_weights() ? dataset_->weights()[row(i)] : 1.0f;
  }

  // The rows of this view at the given view positions.
  DatasetView Select(const std::vector<uint32_t>& positions) const;

 private:
  const Dataset* dataset_;
  std::shared_ptr<const std::vector<uint32_t>> rows_;
};

}  // namespace kiln::data
