// CsrMatrix: compressed sparse rows. Row r's nonzeros are indices[indptr[r] .. indptr[r+1]) with
// strictly increasing column indices (readers reject duplicates and unsorted input).
// Immutable; thread-safe reads.
#pragma once

#include <cstdint>

#include "kiln/core/array.h"

namespace kiln::data {

struct CsrMatrix {
  core::Array<uint64_t> indptr;   // rows + 1 entries, indptr[0] == 0
  core::Array<uint32_t> indices;  // nnz entries
  core::Array<float> values;      // nnz entries
  uint32_t num_cols = 0;          // one more than the largest column index (or declared)

  size_t rows() const { return indptr.empty() ? 0 : indptr.size() - 1; }
  size_t nnz() const { return indices.size(); }
  size_t RowBegin(size_t r) const { return indptr[r]; }
  size_t RowEnd(size_t r) const { return indptr[r + 1]; }
  // Bytes held by the three arrays (the in-memory CSR size benchmarks compare against).
  size_t MemoryBytes() const {
    return indptr.size() * sizeof(uint64_t) + indices.size() * sizeof(uint32_t) +
           values.size() * sizeof(float);
  }
};

}  // namespace kiln::data
