// The rows k-means clusters, prepared once for the assignment step every iteration repeats, and
// the exact distance arithmetic that models and row predictors share.
//
// Assignment (the hot loop) uses ‖x − c‖² = ‖x‖² + ‖c‖² − 2 x·c: dense rows are kept row-major
// as floats, centred on the column means as each chunk of rows is packed (which keeps the
// subtraction accurate in float), and each chunk meets every centre in one Eigen matrix product;
// sums and exact distances read the rows as they are; sparse rows multiply a
// feature-major copy of the centres entry by entry. Blocks of rows are split by a fixed grain and
// every row is written by one task, so the result is the same for any thread count.
//
// Exact distances (Predict, the row predictor, reported inertia) are summed in double in
// ascending feature order, one accumulator per centre, by ExactDistances.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kiln/core/thread_pool.h"
#include "kiln/ml/design_matrix.h"

namespace kiln::algorithms::cluster {

class PointSet {
 public:
  // Borrows x (which must outlive the set); weights are the rows' sample weights.
  PointSet(const ml::DesignMatrix& x, std::vector<double> weights, core::ThreadPool& pool);

  size_t rows() const { return x_.rows(); }
  size_t dims() const { return x_.cols(); }
  bool sparse() const { return x_.is_sparse(); }
  const ml::DesignMatrix& matrix() const { return x_; }
  double weight(size_t i) const { return weights_[i]; }
  const std::vector<double>& weights() const { return weights_; }
  // The mean over rows of the (unweighted, population) feature variances, as scikit-learn scales
  // its tolerance by.
  double mean_variance() const { return mean_variance_; }

  // Row i in the original (uncentred) space, written into out (dims() values).
  void CopyRow(size_t i, double* out) const;
  // Adds w · row i (original space) to out (dims() values).
  void AddRow(size_t i, double w, double* out) const;
  // ‖row i − centre‖² (centre: dims() values, original space), summed in double in feature
  // order.
  double SquaredDistance(size_t i, const double* centre) const;

  // Nearest centre of every row (centres: k x dims() row-major, original space) into labels and
  // its squared distance (from the fast product, clamped at 0) into dist2; both sized rows().
  void Assign(std::span<const double> centres, size_t k, core::ThreadPool& pool,
              std::vector<int32_t>* labels, std::vector<double>* dist2) const;
  // The same for the listed rows only (labels and dist2 sized rows.size()).
  void AssignRows(std::span<const uint32_t> rows, std::span<const double> centres, size_t k,
                  core::ThreadPool& pool, std::vector<int32_t>* labels,
                  std::vector<double>* dist2) const;
  // Squared distances from every row to each of `points` (m x dims() row-major, original space)
  // into out (rows() x m row-major), from the fast product.
  void DistancesTo(std::span<const double> points, size_t m, core::ThreadPool& pool,
                   std::vector<double>* out) const;

 private:
  const ml::DesignMatrix& x_;
  std::vector<double> weights_;
  std::vector<double> mean_;   // dense: column means
  std::vector<float> mean_f_;  // dense: the same as floats (what the products subtract)
  std::vector<float> rows_;    // dense: the rows, row-major
  std::vector<double> norms_;  // ‖row‖² (dense: of the centred row)
  double mean_variance_ = 0;
};

// Centres prepared for exact distances: feature-major (dims x k) and their squared norms.
struct ExactCentres {
  ExactCentres() = default;
  ExactCentres(std::span<const double> centres, size_t count, size_t dimensions);
  size_t k = 0;
  size_t dims = 0;
  std::vector<double> by_feature;  // [j * k + c]
  std::vector<double> norms;       // ‖c‖²
};

// Squared distances from one row to every centre into out[0..k): a dense row (dims values), or
// the nonzeros of a sparse one (features ascending).
void ExactDistances(const ExactCentres& c, const float* row, double* out);
void ExactDistancesSparse(const ExactCentres& c, std::span<const uint32_t> features,
                          std::span<const float> values, double* out);
// The index of the smallest of out[0..k) (the first on ties).
int32_t Nearest(const double* d2, size_t k);

}  // namespace kiln::algorithms::cluster
