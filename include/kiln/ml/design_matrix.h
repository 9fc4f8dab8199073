// DesignMatrix: the encoded n x d feature matrix that linear solvers work on (what a
// FeatureEncoder produces). Either dense column-major floats or CSR sparse rows; the CSR arrays
// may be shared with a Dataset (no copy for a view over all rows of a sparse dataset).
//
// Products used by solvers — X·Wᵀ for K weight vectors and Xᵀ·R — run on a thread pool with a
// block split that depends only on the matrix shape, so results are bit-identical for any
// number of threads. Per-row iteration serves online solvers.
//
// Thread-safety: immutable after construction except for lazily built helper layouts (a CSC
// transpose, a row-major copy), which are built once under std::call_once; all const methods
// are safe to call concurrently. Copies share storage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kiln/core/array.h"
#include "kiln/core/thread_pool.h"

namespace kiln::ml {

class DesignMatrix {
 public:
  DesignMatrix() = default;
  // Dense, column-major: element (i, j) is values[j * rows + i].
  static DesignMatrix Dense(size_t rows, size_t cols, core::Array<float> col_major);
  // CSR with `rows` = indptr.size() - 1; every index < cols, sorted within a row.
  static DesignMatrix Sparse(size_t cols, core::Array<uint64_t> indptr,
                             core::Array<uint32_t> indices, core::Array<float> values);

  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  bool is_sparse() const { return sparse_; }
  // Stored entries (dense: rows * cols).
  size_t nnz() const { return sparse_ ? indices_.size() : rows_ * cols_; }

  // Dense only.
  const float* column(size_t j) const { return dense_.data() + j * rows_; }
  float at(size_t i, size_t j) const { return dense_[j * rows_ + i]; }
  // Dense only: row i as a contiguous array of cols() floats (a row-major copy is built on
  // first use).
  const float* dense_row(size_t i) const;

  // Sparse only.
  const core::Array<uint64_t>& indptr() const { return indptr_; }
  const core::Array<uint32_t>& indices() const { return indices_; }
  const core::Array<float>& values() const { return values_; }

  // Calls f(j, x_ij) for the stored entries of row i (dense: every column).
  template <typename F>
  void ForEachInRow(size_t i, F&& f) const {
    if (sparse_) {
      for (uint64_t p = indptr_[i]; p < indptr_[i + 1]; ++p) f(size_t{indices_[p]}, values_[p]);
    } else {
      const float* row = dense_row(i);
      for (size_t j = 0; j < cols_; ++j) f(j, row[j]);
    }
  }

  // out (rows x k, row-major) = X · Wᵀ, where w is k x cols row-major.
  void Multiply(std::span<const double> w, size_t k, std::span<double> out,
                core::ThreadPool& pool) const;
  // out (k x cols, row-major) = Rᵀ · X, i.e. row c of out is Xᵀ·r_c, where r is rows x k
  // row-major.
  void MultiplyTransposed(std::span<const double> r, size_t k, std::span<double> out,
                          core::ThreadPool& pool) const;
  // Σ_i c_i x_ij² for every column j (c empty: all ones); used by coordinate descent.
  std::vector<double> WeightedColumnSquares(std::span<const double> c,
                                            core::ThreadPool& pool) const;

  // Block size (rows) of the row-parallel products; exposed so callers can reduce per-block
  // partial sums in the same deterministic order.
  static constexpr size_t kRowBlock = 4096;

 private:
  struct Lazy;
  const Lazy& lazy() const;

  size_t rows_ = 0;
  size_t cols_ = 0;
  bool sparse_ = false;
  core::Array<float> dense_;
  core::Array<uint64_t> indptr_;
  core::Array<uint32_t> indices_;
  core::Array<float> values_;
  std::shared_ptr<Lazy> lazy_;
};

}  // namespace kiln::ml
