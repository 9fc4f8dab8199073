#include "kmeans_points.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Dense>

namespace kiln::algorithms::cluster {
namespace {

using FloatRows = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Index = Eigen::Index;

constexpr size_t kChunk = 256;   // rows per matrix product (its result stays in cache)
constexpr size_t kBlock = 8192;  // rows per task

}  // namespace

PointSet::PointSet(const ml::DesignMatrix& x, std::vector<double> weights, core::ThreadPool& pool)
    : x_(x), weights_(std::move(weights)) {
  const size_t n = x.rows();
  const size_t d = x.cols();
  norms_.assign(n, 0.0);
  std::vector<double> variance(d, 0.0);
  if (x.is_sparse()) {
    std::vector<double> sum(d, 0.0), sq(d, 0.0);
    for (size_t i = 0; i < n; ++i) {
      x.ForEachInRow(i, [&](size_t j, float v) {
        sum[j] += v;
        sq[j] += double{v} * v;
        norms_[i] += double{v} * v;
      });
    }
    for (size_t j = 0; j < d; ++j) {
      const double m = sum[j] / static_cast<double>(n);
      variance[j] = std::max(0.0, sq[j] / static_cast<double>(n) - m * m);
    }
  } else {
    mean_.assign(d, 0.0);
    core::ParallelForBlocks(pool, 0, d, 1, [&](size_t begin, size_t end, size_t) {
      for (size_t j = begin; j < end; ++j) {
        const float* col = x.column(j);
        double s = 0;
        for (size_t i = 0; i < n; ++i) s += col[i];
        mean_[j] = s / static_cast<double>(n);
        double v = 0;
        for (size_t i = 0; i < n; ++i) v += (col[i] - mean_[j]) * (col[i] - mean_[j]);
        variance[j] = v / static_cast<double>(n);
      }
    });
    // Row-major copies of the rows; the products see them centred on the float means.
    mean_f_.resize(d);
    for (size_t j = 0; j < d; ++j) mean_f_[j] = static_cast<float>(mean_[j]);
    rows_.resize(n * d);
    core::ParallelForBlocks(pool, 0, n, kBlock, [&](size_t begin, size_t end, size_t) {
      for (size_t j = 0; j < d; ++j) {
        const float* col = x.column(j);
        for (size_t i = begin; i < end; ++i) rows_[i * d + j] = col[i];
      }
      for (size_t i = begin; i < end; ++i) {
        double s = 0;
        for (size_t j = 0; j < d; ++j) {
          const float c = rows_[i * d + j] - mean_f_[j];
          s += double{c} * c;
        }
        norms_[i] = s;
      }
    });
  }
  double total = 0;
  for (double v : variance) total += v;
  mean_variance_ = d > 0 ? total / static_cast<double>(d) : 0.0;
}

void PointSet::CopyRow(size_t i, double* out) const {
  const size_t d = dims();
  if (sparse()) {
    std::fill(out, out + d, 0.0);
    x_.ForEachInRow(i, [&](size_t j, float v) { out[j] = v; });
    return;
  }
  const float* row = rows_.data() + i * d;
  for (size_t j = 0; j < d; ++j) out[j] = row[j];
}

void PointSet::AddRow(size_t i, double w, double* out) const {
  const size_t d = dims();
  if (sparse()) {
    x_.ForEachInRow(i, [&](size_t j, float v) { out[j] += w * v; });
    return;
  }
  const float* row = rows_.data() + i * d;
  for (size_t j = 0; j < d; ++j) out[j] += w * row[j];
}

double PointSet::SquaredDistance(size_t i, const double* centre) const {
  const size_t d = dims();
  double s = 0;
  if (sparse()) {
    // Σ c² over all features, corrected at the stored entries: (x − c)² − c² = x (x − 2c).
    for (size_t j = 0; j < d; ++j) s += centre[j] * centre[j];
    x_.ForEachInRow(i, [&](size_t j, float v) { s += v * (v - 2 * centre[j]); });
    return std::max(s, 0.0);
  }
  const float* row = rows_.data() + i * d;
  for (size_t j = 0; j < d; ++j) {
    const double diff = row[j] - centre[j];
    s += diff * diff;
  }
  return s;
}

// Calls visit(position, row, sq) with the squared distances sq[0..k) from each listed row
// (rows(position) for position < count) to the k centres.
template <typename Rows, typename Visit>
void ForEachDistanceRow(const PointSet& set, const ml::DesignMatrix& x,
                        const std::vector<float>& rows_f, const std::vector<float>& mean_f,
                        const std::vector<double>& mean, const std::vector<double>& norms,
                        const Rows& rows, size_t count, std::span<const double> centres, size_t k,
                        core::ThreadPool& pool, Visit&& visit) {
  const size_t d = set.dims();
  if (set.sparse()) {
    // Feature-major centres: the k values a nonzero multiplies are contiguous.
    const ExactCentres c(centres, k, d);
    core::ParallelForBlocks(pool, 0, count, kBlock, [&](size_t begin, size_t end, size_t) {
      std::vector<double> sq(k);
      for (size_t q = begin; q < end; ++q) {
        const size_t i = rows(q);
        std::fill(sq.begin(), sq.end(), 0.0);
        x.ForEachInRow(i, [&](size_t j, float v) {
          const double* cj = c.by_feature.data() + j * k;
          for (size_t t = 0; t < k; ++t) sq[t] += v * cj[t];
        });
        for (size_t t = 0; t < k; ++t) sq[t] = std::max(0.0, norms[i] + c.norms[t] - 2 * sq[t]);
        visit(q, i, sq.data());
      }
    });
    return;
  }
  FloatRows c(static_cast<Index>(k), static_cast<Index>(d));
  std::vector<double> cn(k, 0.0);
  for (size_t t = 0; t < k; ++t) {
    for (size_t j = 0; j < d; ++j) {
      const auto v = static_cast<float>(centres[t * d + j] - mean[j]);
      c(static_cast<Index>(t), static_cast<Index>(j)) = v;
      cn[t] += double{v} * v;
    }
  }
  core::ParallelForBlocks(pool, 0, count, kBlock, [&](size_t begin, size_t end, size_t) {
    FloatRows chunk(static_cast<Index>(kChunk), static_cast<Index>(d));
    FloatRows dots(static_cast<Index>(kChunk), static_cast<Index>(k));
    std::vector<double> sq(k);
    for (size_t s = begin; s < end; s += kChunk) {
      const size_t m = std::min(kChunk, end - s);
      for (size_t r = 0; r < m; ++r) {
        const float* in = rows_f.data() + rows(s + r) * d;
        float* out = chunk.data() + static_cast<Index>(r * d);
        for (size_t j = 0; j < d; ++j) out[j] = in[j] - mean_f[j];
      }
      dots.topRows(static_cast<Index>(m)).noalias() =
          chunk.topRows(static_cast<Index>(m)) * c.transpose();
      for (size_t r = 0; r < m; ++r) {
        const size_t i = rows(s + r);
        const float* dr = dots.data() + static_cast<Index>(r * k);
        for (size_t t = 0; t < k; ++t) sq[t] = std::max(0.0, norms[i] + cn[t] - 2.0 * dr[t]);
        visit(s + r, i, sq.data());
      }
    }
  });
}

void PointSet::Assign(std::span<const double> centres, size_t k, core::ThreadPool& pool,
                      std::vector<int32_t>* labels, std::vector<double>* dist2) const {
  labels->resize(rows());
  dist2->resize(rows());
  ForEachDistanceRow(
      *this, x_, rows_, mean_f_, mean_, norms_, [](size_t q) { return q; }, rows(), centres, k,
      pool,
      [&](size_t q, size_t, const double* sq) {
        const int32_t best = Nearest(sq, k);
        (*labels)[q] = best;
        (*dist2)[q] = sq[best];
      });
}

void PointSet::AssignRows(std::span<const uint32_t> rows, std::span<const double> centres, size_t k,
                          core::ThreadPool& pool, std::vector<int32_t>* labels,
                          std::vector<double>* dist2) const {
  labels->resize(rows.size());
  dist2->resize(rows.size());
  ForEachDistanceRow(
      *this, x_, rows_, mean_f_, mean_, norms_, [&](size_t q) { return size_t{rows[q]}; },
      rows.size(), centres, k, pool,
      [&](size_t q, size_t, const double* sq) {
        const int32_t best = Nearest(sq, k);
        (*labels)[q] = best;
        (*dist2)[q] = sq[best];
      });
}

void PointSet::DistancesTo(std::span<const double> points, size_t m, core::ThreadPool& pool,
                           std::vector<double>* out) const {
  out->resize(rows() * m);
  ForEachDistanceRow(
      *this, x_, rows_, mean_f_, mean_, norms_, [](size_t q) { return q; }, rows(), points, m, pool,
      [&](size_t q, size_t, const double* sq) { std::copy_n(sq, m, out->data() + q * m); });
}

ExactCentres::ExactCentres(std::span<const double> centres, size_t count, size_t dimensions)
    : k(count), dims(dimensions), by_feature(count * dimensions), norms(count, 0.0) {
  for (size_t t = 0; t < k; ++t) {
    for (size_t j = 0; j < dims; ++j) {
      const double v = centres[t * dims + j];
      by_feature[j * k + t] = v;
      norms[t] += v * v;
    }
  }
}

void ExactDistances(const ExactCentres& c, const float* row, double* out) {
  const size_t k = c.k;
  std::fill(out, out + k, 0.0);
  for (size_t j = 0; j < c.dims; ++j) {
    const double x = row[j];
    const double* cj = c.by_feature.data() + j * k;
    for (size_t t = 0; t < k; ++t) {
      const double diff = x - cj[t];
      out[t] += diff * diff;
    }
  }
}

void ExactDistancesSparse(const ExactCentres& c, std::span<const uint32_t> features,
                          std::span<const float> values, double* out) {
  const size_t k = c.k;
  std::copy(c.norms.begin(), c.norms.end(), out);
  // (x − c)² = c² + x·(x − 2c) for the stored entries; the others contribute c² alone.
  for (size_t q = 0; q < features.size(); ++q) {
    const double x = values[q];
    const double* cj = c.by_feature.data() + size_t{features[q]} * k;
    for (size_t t = 0; t < k; ++t) out[t] += x * (x - 2 * cj[t]);
  }
  for (size_t t = 0; t < k; ++t) out[t] = std::max(out[t], 0.0);
}

int32_t Nearest(const double* d2, size_t k) {
  return static_cast<int32_t>(std::min_element(d2, d2 + k) - d2);
}

}  // namespace kiln::algorithms::cluster
