// Building new Datasets from existing ones: the rows of a view gathered into a Dataset of their
// own (what a split or sample step writes), and a Dataset with the same rows but other feature
// columns (what a column transform writes). Label, weights, the schema's label/weight names and
// the source are kept; gathered rows remember the file line each came from, so an error about
// row r still names the right line of the original file.
#pragma once

#include <vector>

#include "kiln/data/column.h"
#include "kiln/data/dataset.h"
#include "kiln/data/dataset_view.h"

namespace kiln::data {

// The view's rows, in view order, copied into a new Dataset (dense or sparse like the source).
Dataset Materialize(const DatasetView& view);
// One column's values at the given rows.
Column GatherColumn(const Column& column, const std::vector<uint32_t>& rows);
// `base`'s rows, label, weights and source with `columns` as its dense feature columns (each
// with base.num_rows() values). A sparse base becomes dense.
Dataset WithColumns(const Dataset& base, std::vector<Column> columns);

}  // namespace kiln::data
