#include "kiln/data/dataset_view.h"

namespace kiln::data {

DatasetView DatasetView::Select(const std::vector<uint32_t>& positions) const {
  std::vector<uint32_t> rows;
  rows.reserve(positions.size());
  for (uint32_t p : positions) rows.push_back(row(p));
  return DatasetView(*dataset_, std::move(rows));
}

}  // namespace kiln::data
