// Clustering models and the metrics that judge them.
//
// A clustering model (task kClustering) learns without a label. Its Predictions carry the cluster
// index of each row in `classes` and one score per row, the distance from the row to its cluster's
// centre (probabilistic = false). ClusterModel adds what evaluation needs beyond predictions: the
// rows as the points the model measures distances between (its encoded features), for the
// silhouette. Thread-safety: as Model (const methods are safe to call concurrently).
#pragma once

#include <cstdint>
#include <span>

#include "kiln/core/context.h"
#include "kiln/core/result.h"
#include "kiln/data/dataset_view.h"
#include "kiln/ml/design_matrix.h"
#include "kiln/ml/model.h"

namespace kiln::ml {

class ClusterModel : public Model {
 public:
  using Model::Model;
  // The view's rows in the space where the model measures (Euclidean) distances. Errors as
  // Predict's (missing columns, ...).
  virtual core::Result<DesignMatrix> Points(const data::DatasetView& view,
                                            core::Context& ctx) const = 0;
};

namespace metrics {

// Mean silhouette coefficient of the rows of `points` under `clusters` (one per row), with
// Euclidean distances, as scikit-learn's silhouette_score: s = (b − a) / max(a, b) per row, where
// a is the mean distance to the other rows of its cluster and b the smallest mean distance to
// the rows of another cluster; 0 for a row alone in its cluster. NaN unless there are between 2
// and rows − 1 clusters. O(rows² · cols): callers pass a sample. Deterministic for any thread
// count.
double Silhouette(const DesignMatrix& points, std::span<const int32_t> clusters,
                  core::ThreadPool& pool);

// Adjusted Rand index between two labellings of the same rows (any integer ids), as
// scikit-learn's adjusted_rand_score: 1 for identical partitions, about 0 for random ones.
double AdjustedRandIndex(std::span<const int32_t> truth, std::span<const int32_t> predicted);

}  // namespace metrics
}  // namespace kiln::ml
