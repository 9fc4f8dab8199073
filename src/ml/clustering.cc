#include "kiln/ml/clustering.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include <Eigen/Dense>

namespace kiln::ml::metrics {
namespace {

constexpr size_t kSilhouetteBlock = 64;  // rows whose distances to all rows one task computes

// Cluster ids renumbered 0..K-1 in ascending id order; returns K.
size_t Renumber(std::span<const int32_t> ids, std::vector<int32_t>* out) {
  std::map<int32_t, int32_t> index;
  for (int32_t id : ids) index.emplace(id, 0);
  int32_t next = 0;
  for (auto& [id, value] : index) value = next++;
  out->resize(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) (*out)[i] = index[ids[i]];
  return index.size();
}

}  // namespace

double Silhouette(const DesignMatrix& points, std::span<const int32_t> clusters,
                  core::ThreadPool& pool) {
  const size_t m = points.rows();
  const size_t d = points.cols();
  std::vector<int32_t> label;
  const size_t k = Renumber(clusters, &label);
  if (k < 2 || k + 1 > m) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> count(k, 0.0);
  for (int32_t c : label) count[static_cast<size_t>(c)] += 1;

  // Rows as doubles (dense) and their squared norms.
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  RowMajor x;
  if (!points.is_sparse()) {
    x.resize(static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(d));
    for (size_t j = 0; j < d; ++j) {
      const float* col = points.column(j);
      for (size_t i = 0; i < m; ++i)
        x(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = col[i];
    }
  }
  std::vector<double> norm(m, 0.0);
  for (size_t i = 0; i < m; ++i) {
    points.ForEachInRow(i, [&](size_t, float v) { norm[i] += double{v} * v; });
  }

  // sums[i * k + c]: Σ distance from row i to the rows of cluster c (itself excluded).
  std::vector<double> sums(m * k, 0.0);
  core::ParallelForBlocks(pool, 0, m, kSilhouetteBlock, [&](size_t begin, size_t end, size_t) {
    const auto rows = static_cast<Eigen::Index>(end - begin);
    Eigen::MatrixXd dots(rows, static_cast<Eigen::Index>(m));
    if (!points.is_sparse()) {
      dots.noalias() = x.middleRows(static_cast<Eigen::Index>(begin), rows) * x.transpose();
    } else {
      std::vector<double> scatter(d, 0.0);
      for (size_t i = begin; i < end; ++i) {
        points.ForEachInRow(i, [&](size_t j, float v) { scatter[j] = v; });
        for (size_t r = 0; r < m; ++r) {
          double dot = 0;
          points.ForEachInRow(r, [&](size_t j, float v) { dot += scatter[j] * v; });
          dots(static_cast<Eigen::Index>(i - begin), static_cast<Eigen::Index>(r)) = dot;
        }
        points.ForEachInRow(i, [&](size_t j, float) { scatter[j] = 0.0; });
      }
    }
    for (size_t i = begin; i < end; ++i) {
      double* s = sums.data() + i * k;
      for (size_t r = 0; r < m; ++r) {
        if (r == i) continue;
        const double sq =
            norm[i] + norm[r] -
            2 * dots(static_cast<Eigen::Index>(i - begin), static_cast<Eigen::Index>(r));
        s[static_cast<size_t>(label[r])] += std::sqrt(std::max(sq, 0.0));
      }
    }
  });

  double total = 0;
  for (size_t i = 0; i < m; ++i) {
    const size_t own = static_cast<size_t>(label[i]);
    if (count[own] <= 1) continue;  // a row alone in its cluster scores 0
    const double a = sums[i * k + own] / (count[own] - 1);
    double b = std::numeric_limits<double>::infinity();
    for (size_t c = 0; c < k; ++c) {
      if (c != own) b = std::min(b, sums[i * k + c] / count[c]);
    }
    const double top = std::max(a, b);
    if (top > 0) total += (b - a) / top;
  }
  return total / static_cast<double>(m);
}

double AdjustedRandIndex(std::span<const int32_t> truth, std::span<const int32_t> predicted) {
  std::vector<int32_t> t, p;
  const size_t kt = Renumber(truth, &t);
  const size_t kp = Renumber(predicted, &p);
  const auto n = static_cast<double>(truth.size());
  std::map<std::pair<int32_t, int32_t>, double> cells;
  std::vector<double> row(kt, 0.0), col(kp, 0.0);
  for (size_t i = 0; i < t.size(); ++i) {
    cells[{t[i], p[i]}] += 1;
    row[static_cast<size_t>(t[i])] += 1;
    col[static_cast<size_t>(p[i])] += 1;
  }
  // The pair confusion matrix, as scikit-learn's pair_confusion_matrix (ordered pairs).
  double sum_squares = 0;
  double tp_plus_fp = 0;  // Σ_ij n_ij · col_j
  double tp_plus_fn = 0;  // Σ_ij n_ij · row_i
  for (const auto& [key, v] : cells) {
    sum_squares += v * v;
    tp_plus_fp += v * col[static_cast<size_t>(key.second)];
    tp_plus_fn += v * row[static_cast<size_t>(key.first)];
  }
  const double tp = sum_squares - n;
  const double fp = tp_plus_fp - sum_squares;
  const double fn = tp_plus_fn - sum_squares;
  const double tn = n * n - fp - fn - sum_squares;
  if (fn == 0 && fp == 0) return 1.0;
  return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

}  // namespace kiln::ml::metrics
