// Writing a transform model's rows to a file, for 'kiln transform' and 'kiln train
// --transform-output': dense features as CSV, sparse rows as LibSVM, whose labels must be numbers
// (text classes become their index in sorted order, and the mapping is printed).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/core/thread_pool.h"
#include "kiln/data/dataset.h"
#include "kiln/ml/transformer.h"

namespace kiln::cli {

// The output format for `requested` ("" = libsvm for sparse rows, csv for dense ones);
// kInvalidArgument naming `flag` when csv is asked of sparse rows.
core::Result<std::string> TransformOutputFormat(const ml::Transformer& transformer,
                                                const std::string& algorithm,
                                                const std::string& requested,
                                                const std::string& flag);

// Writes `rows` (its label numbered first for LibSVM) to `path` in `format`. Returns the label
// mapping ("0 = bad", ...), empty when the label was already numeric or absent.
core::Result<std::vector<std::string>> WriteTransformed(data::Dataset& rows,
                                                        const std::string& path,
                                                        const std::string& format,
                                                        core::ThreadPool& pool);

// Prints a non-empty mapping from WriteTransformed as one line.
void PrintLabelMapping(const data::Dataset& rows, const std::vector<std::string>& mapping,
                       std::ostream& out);

}  // namespace kiln::cli
