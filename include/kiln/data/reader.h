// Reading data files into Datasets: CSV (RFC 4180), LibSVM and JSON Lines, parsed in parallel
// chunks, with a binary cache so a second read of an unchanged file maps instead of parsing.
// Errors name the file, line and column, what was expected and what was found.
//
// - The result does not depend on the thread count or options.chunk_bytes (chunks are merged
//   in file order; category dictionaries are in order of first appearance).
// - Working memory beyond the result is bounded by one batch of chunks: parsed chunks are
//   appended to the output as they complete, and pages of a mapped input file are dropped
//   once parsed.
// - Literal nan/inf and numbers beyond the float range are errors; missing values are written
//   as an empty field or one of options.na_values.
// Thread-safety: the functions are reentrant; ctx's pool is used for the parallel parts.
#pragma once

#include <string>

#include "kiln/core/context.h"
#include "kiln/core/result.h"
#include "kiln/data/dataset.h"
#include "kiln/data/read_options.h"

namespace kiln::data {

// Reads `path` with the format from options (or detected from the extension). Uses the dataset
// cache when options.use_cache. Reports progress in bytes through ctx.progress().
core::Result<Dataset> ReadDataset(const std::string& path, const ReadOptions& options,
                                  core::Context& ctx);

// The individual readers, without the cache. `text` is the whole file content.
core::Result<Dataset> ReadCsv(const std::string& path, std::string_view text,
                              const ReadOptions& options, core::Context& ctx);
core::Result<Dataset> ReadLibSvm(const std::string& path, std::string_view text,
                                 const ReadOptions& options, core::Context& ctx);
core::Result<Dataset> ReadJsonLines(const std::string& path, std::string_view text,
                                    const ReadOptions& options, core::Context& ctx);

}  // namespace kiln::data
