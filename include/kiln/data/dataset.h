// Dataset: rows of features, an optional label and optional sample weights, held either as dense
// columns (numeric and categorical; missing values allowed) or as CSR sparse rows.
//
// Arrays inside may point into a memory-mapped cache file; copying a Dataset shares them.
// Immutable once built; thread-safe reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kiln/core/array.h"
#include "kiln/data/column.h"
#include "kiln/data/csr_matrix.h"
#include "kiln/data/schema.h"

namespace kiln::data {

// Where the rows came from, for error messages and lineage.
struct SourceInfo {
  std::string path;    // "" for in-memory data
  std::string format;  // "csv", "libsvm", "jsonl"
  uint64_t file_bytes = 0;
  uint64_t content_hash = 0;     // XXH3-64 of the file's bytes (0 if not computed)
  uint64_t first_data_line = 1;  // 1-based line of row 0 (2 when a header line comes first)
  // Line of each row, only when the rows are not on consecutive lines (a record spanning
  // several lines through quoted newlines, or skipped blank/comment lines); else empty and row r
  // is on line first_data_line + r.
  core::Array<uint64_t> row_lines;
  bool from_cache = false;  // true when ReadDataset mapped the dataset cache instead of parsing
};

class Dataset {
 public:
  Dataset() = default;
  static Dataset Dense(std::vector<Column> features, std::optional<Column> label = std::nullopt,
                       core::Array<float> weights = {});
  static Dataset Sparse(CsrMatrix features, std::optional<Column> label = std::nullopt,
                        core::Array<float> weights = {});

  size_t num_rows() const { return num_rows_; }
  bool is_sparse() const { return sparse_; }
  // Dense: columns().size(); sparse: csr().num_cols.
  size_t num_features() const { return sparse_ ? csr_.num_cols : columns_.size(); }

  const std::vector<Column>& columns() const { return columns_; }  // dense only
  const CsrMatrix& csr() const { return csr_; }                    // sparse only
  // Index of the dense feature column with this name, or -1.
  int FindColumn(std::string_view name) const;

  const Column* label() const { return label_ ? &*label_ : nullptr; }
  const core::Array<float>& weights() const { return weights_; }  // empty when unweighted
  bool has_weights() const { return !weights_.empty(); }

  const SourceInfo& source() const { return source_; }
  void set_source(SourceInfo source) { source_ = std::move(source); }
  // Schema of the features (+ label/weight names). index_base is taken from `source` hints.
  const Schema& schema() const { return schema_; }
  void set_schema(Schema schema) { schema_ = std::move(schema); }

  // 1-based line of row r in the source file (0 for in-memory data).
  uint64_t LineOf(size_t row) const;
  // "FILE line N" or "row N" for in-memory data; the prefix of error messages about a row.
  std::string Where(size_t row) const;

 private:
  size_t num_rows_ = 0;
  bool sparse_ = false;
  std::vector<Column> columns_;
  CsrMatrix csr_;
  std::optional<Column> label_;
  core::Array<float> weights_;
  SourceInfo source_;
  Schema schema_;
};

}  // namespace kiln::data
