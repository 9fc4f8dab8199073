// Writing a Dataset as CSV: a header line, then one line per row — dense features in column
// order, then the label and the weight (if any) under their schema names; sparse data as
// `index:value` pairs is not CSV, so it is written as LibSVM instead (WriteLibSvm). Missing
// values are empty fields; texts are quoted when they contain the delimiter, a quote or a line
// break (RFC 4180); numbers print as the shortest text that reads back as the same float.
// Rows are formatted in chunks on the pool's threads and streamed to the file in row order, so
// the output is the same for any thread count and only a few chunks of text are held at once.
#pragma once

#include <string>

#include "kiln/core/status.h"
#include "kiln/core/thread_pool.h"
#include "kiln/data/dataset.h"

namespace kiln::data {

// Atomic: written next to `path` and renamed into place.
core::Status WriteCsv(const Dataset& dataset, const std::string& path, core::ThreadPool& pool,
                      char delimiter = ',');
// label index:value ... per row (0-based or 1-based indices as the schema's index_base says).
// Every row needs a label (kDataError naming the first row without one); no label column
// writes 0 on every line.
core::Status WriteLibSvm(const Dataset& dataset, const std::string& path, core::ThreadPool& pool);

}  // namespace kiln::data
