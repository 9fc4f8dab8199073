// The readers' entry points over an InputText (private to src/data). Each fills the Dataset's
// SourceInfo (path, format, file_bytes, content_hash, first_data_line, row_lines) and Schema.
#pragma once

#include "chunking.h"
#include "kiln/core/result.h"
#include "kiln/data/dataset.h"
#include "kiln/data/read_options.h"

namespace kiln::data::internal {

core::Result<Dataset> ReadCsvText(InputText& in, const ReadOptions& options);
core::Result<Dataset> ReadLibSvmText(InputText& in, const ReadOptions& options);
core::Result<Dataset> ReadJsonLinesText(InputText& in, const ReadOptions& options);

// The rows limit of a Dataset (DatasetView indexes rows with uint32).
inline constexpr uint64_t kMaxRows = 0xFFFFFFFFull;

}  // namespace kiln::data::internal
