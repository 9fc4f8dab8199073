#include "kiln/ml/design_matrix.h"

#include <algorithm>
#include <cassert>
#include <mutex>

namespace kiln::ml {

struct DesignMatrix::Lazy {
  std::once_flag csc_once;
  std::vector<uint64_t> csc_ptr;  // cols + 1
  std::vector<uint32_t> csc_rows;
  std::vector<float> csc_values;
  std::once_flag row_once;
  std::vector<float> row_major;
};

DesignMatrix DesignMatrix::Dense(size_t rows, size_t cols, core::Array<float> col_major) {
  assert(col_major.size() == rows * cols);
  DesignMatrix m;
  m.rows_ = rows;
  m.cols_ = cols;
  m.sparse_ = false;
  m.dense_ = std::move(col_major);
  m.lazy_ = std::make_shared<Lazy>();
  return m;
}

DesignMatrix DesignMatrix::Sparse(size_t cols, core::Array<uint64_t> indptr,
                                  core::Array<uint32_t> indices, core::Array<float> values) {
  DesignMatrix m;
  m.rows_ = indptr.empty() ? 0 : indptr.size() - 1;
  m.cols_ = cols;
  m.sparse_ = true;
  m.indptr_ = std::move(indptr);
  m.indices_ = std::move(indices);
  m.values_ = std::move(values);
  m.lazy_ = std::make_shared<Lazy>();
  return m;
}

const DesignMatrix::Lazy& DesignMatrix::lazy() const {
  Lazy& l = *lazy_;
  if (sparse_) {
    std::call_once(l.csc_once, [&] {
      l.csc_ptr.assign(cols_ + 1, 0);
      for (uint32_t j : indices_) ++l.csc_ptr[j + 1];
      for (size_t j = 0; j < cols_; ++j) l.csc_ptr[j + 1] += l.csc_ptr[j];
      l.csc_rows.resize(indices_.size());
      l.csc_values.resize(indices_.size());
      std::vector<uint64_t> next(l.csc_ptr.begin(), l.csc_ptr.end() - 1);
      for (size_t i = 0; i < rows_; ++i) {
        for (uint64_t p = indptr_[i]; p < indptr_[i + 1]; ++p) {
          const uint64_t q = next[indices_[p]]++;
          l.csc_rows[q] = static_cast<uint32_t>(i);
          l.csc_values[q] = values_[p];
        }
      }
    });
  } else {
    std::call_once(l.row_once, [&] {
      l.row_major.resize(rows_ * cols_);
      for (size_t j = 0; j < cols_; ++j) {
        const float* col = column(j);
        for (size_t i = 0; i < rows_; ++i) l.row_major[i * cols_ + j] = col[i];
      }
    });
  }
  return l;
}

const float* DesignMatrix::dense_row(size_t i) const { return lazy().row_major.data() + i * cols_; }

void DesignMatrix::Multiply(std::span<const double> w, size_t k, std::span<double> out,
                            core::ThreadPool& pool) const {
  assert(w.size() == k * cols_ && out.size() == rows_ * k);
  core::ParallelForBlocks(pool, 0, rows_, kRowBlock, [&](size_t begin, size_t end, size_t) {
    std::fill(out.begin() + begin * k, out.begin() + end * k, 0.0);
    if (sparse_) {
      for (size_t i = begin; i < end; ++i) {
        double* o = out.data() + i * k;
        for (uint64_t p = indptr_[i]; p < indptr_[i + 1]; ++p) {
          const double v = values_[p];
          const size_t j = indices_[p];
          for (size_t c = 0; c < k; ++c) o[c] += v * w[c * cols_ + j];
        }
      }
      return;
    }
    for (size_t j = 0; j < cols_; ++j) {
      const float* col = column(j);
      for (size_t c = 0; c < k; ++c) {
        const double wv = w[c * cols_ + j];
        if (wv == 0.0) continue;
        double* o = out.data() + c;
        for (size_t i = begin; i < end; ++i) o[i * k] += wv * col[i];
      }
    }
  });
}

void DesignMatrix::MultiplyTransposed(std::span<const double> r, size_t k, std::span<double> out,
                                      core::ThreadPool& pool) const {
  assert(r.size() == rows_ * k && out.size() == k * cols_);
  // Columns per block: enough work per block whatever the shape; depends on the shape only.
  const size_t per_col = std::max<size_t>(1, sparse_ ? nnz() / std::max<size_t>(cols_, 1) : rows_);
  const size_t grain = std::max<size_t>(1, 65536 / per_col);
  if (sparse_) {
    const Lazy& l = lazy();
    core::ParallelForBlocks(pool, 0, cols_, grain, [&](size_t begin, size_t end, size_t) {
      std::vector<double> acc(k);
      for (size_t j = begin; j < end; ++j) {
        std::fill(acc.begin(), acc.end(), 0.0);
        for (uint64_t p = l.csc_ptr[j]; p < l.csc_ptr[j + 1]; ++p) {
          const double v = l.csc_values[p];
          const double* ri = r.data() + size_t{l.csc_rows[p]} * k;
          for (size_t c = 0; c < k; ++c) acc[c] += v * ri[c];
        }
        for (size_t c = 0; c < k; ++c) out[c * cols_ + j] = acc[c];
      }
    });
    return;
  }
  core::ParallelForBlocks(pool, 0, cols_, grain, [&](size_t begin, size_t end, size_t) {
    std::vector<double> acc(k);
    for (size_t j = begin; j < end; ++j) {
      const float* col = column(j);
      std::fill(acc.begin(), acc.end(), 0.0);
      if (k == 1) {
        double s = 0;
        for (size_t i = 0; i < rows_; ++i) s += col[i] * r[i];
        acc[0] = s;
      } else {
        for (size_t i = 0; i < rows_; ++i) {
          const double v = col[i];
          const double* ri = r.data() + i * k;
          for (size_t c = 0; c < k; ++c) acc[c] += v * ri[c];
        }
      }
      for (size_t c = 0; c < k; ++c) out[c * cols_ + j] = acc[c];
    }
  });
}

std::vector<double> DesignMatrix::WeightedColumnSquares(std::span<const double> c,
                                                        core::ThreadPool& pool) const {
  std::vector<double> out(cols_, 0.0);
  auto weight = [&](size_t i) { return c.empty() ? 1.0 : c[i]; };
  if (sparse_) {
    const Lazy& l = lazy();
    core::ParallelForBlocks(pool, 0, cols_, 256, [&](size_t begin, size_t end, size_t) {
      for (size_t j = begin; j < end; ++j) {
        double s = 0;
        for (uint64_t p = l.csc_ptr[j]; p < l.csc_ptr[j + 1]; ++p) {
          const double v = l.csc_values[p];
          s += weight(l.csc_rows[p]) * v * v;
        }
        out[j] = s;
      }
    });
    return out;
  }
  core::ParallelForBlocks(pool, 0, cols_, 1, [&](size_t begin, size_t end, size_t) {
    for (size_t j = begin; j < end; ++j) {
      const float* col = column(j);
      double s = 0;
      for (size_t i = 0; i < rows_; ++i) s += weight(i) * double{col[i]} * col[i];
      out[j] = s;
    }
  });
  return out;
}

}  // namespace kiln::ml
