// Clustering metrics (silhouette, adjusted Rand index) against values worked out by hand and
// scikit-learn's documented examples, and the clustering branch of Evaluate / EvaluateModel.
#include "kiln/ml/clustering.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kiln/core/context.h"
#include "kiln/data/dataset.h"
#include "kiln/data/dataset_view.h"
#include "kiln/ml/evaluation.h"

namespace kiln::ml {
namespace {

DesignMatrix Column1d(std::vector<float> x) {
  const size_t n = x.size();
  return DesignMatrix::Dense(n, 1, core::Array<float>(std::move(x)));
}

TEST(ClusteringMetricsTest, SilhouetteByHand) {
  core::ThreadPool pool(2);
  // 0, 1 | 10, 11: a = 1 for every row; b = 10.5 (rows 0 and 3) or 9.5 (rows 1 and 2).
  const double expected = (9.5 / 10.5 + 8.5 / 9.5) / 2;
  EXPECT_NEAR(metrics::Silhouette(Column1d({0, 1, 10, 11}), std::vector<int32_t>{0, 0, 1, 1}, pool),
              expected, 1e-12);
  // Cluster ids need not be 0..K-1; a row alone in its cluster scores 0.
  EXPECT_NEAR(metrics::Silhouette(Column1d({0, 1, 10}), std::vector<int32_t>{7, 7, 3}, pool),
              (9.0 / 10 + 8.0 / 9 + 0) / 3, 1e-12);
  // One cluster, or one per row: undefined.
  EXPECT_TRUE(std::isnan(metrics::Silhouette(Column1d({0, 1}), std::vector<int32_t>{0, 0}, pool)));
  EXPECT_TRUE(std::isnan(metrics::Silhouette(Column1d({0, 1}), std::vector<int32_t>{0, 1}, pool)));
}

TEST(ClusteringMetricsTest, SilhouetteOfSparseRowsEqualsDense) {
  core::ThreadPool pool(1);
  // Rows (0,0) (0,1) (3,0) (4,1) as CSR.
  const DesignMatrix sparse =
      DesignMatrix::Sparse(2, core::Array<uint64_t>(std::vector<uint64_t>{0, 0, 1, 2, 4}),
                           core::Array<uint32_t>(std::vector<uint32_t>{1, 0, 0, 1}),
                           core::Array<float>(std::vector<float>{1, 3, 4, 1}));
  const DesignMatrix dense =
      DesignMatrix::Dense(4, 2, core::Array<float>(std::vector<float>{0, 0, 3, 4, 0, 1, 0, 1}));
  const std::vector<int32_t> clusters = {0, 0, 1, 1};
  EXPECT_NEAR(metrics::Silhouette(sparse, clusters, pool),
              metrics::Silhouette(dense, clusters, pool), 1e-12);
}

TEST(ClusteringMetricsTest, AdjustedRandLikeScikitLearn) {
  using V = std::vector<int32_t>;
  // The examples of sklearn.metrics.adjusted_rand_score's documentation.
  EXPECT_DOUBLE_EQ(metrics::AdjustedRandIndex(V{0, 0, 1, 1}, V{0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(metrics::AdjustedRandIndex(V{0, 0, 1, 1}, V{1, 1, 0, 0}), 1.0);
  EXPECT_NEAR(metrics::AdjustedRandIndex(V{0, 0, 1, 2}, V{0, 0, 1, 1}), 0.5714285714285714, 1e-15);
  EXPECT_NEAR(metrics::AdjustedRandIndex(V{0, 0, 1, 1}, V{0, 0, 1, 2}), 0.5714285714285714, 1e-15);
  EXPECT_DOUBLE_EQ(metrics::AdjustedRandIndex(V{0, 0, 0, 0}, V{0, 1, 2, 3}), 0.0);
  EXPECT_NEAR(metrics::AdjustedRandIndex(V{0, 0, 1, 1}, V{0, 1, 0, 1}), -0.5, 1e-15);
}

TEST(ClusteringEvaluationTest, InertiaDistanceAndAdjustedRand) {
  LabelInfo label;
  label.task = Task::kClustering;
  label.clusters = 2;
  Predictions p;
  p.task = Task::kClustering;
  p.rows = 4;
  p.probabilistic = false;
  p.scores = {1, 2, 0.5, 0};
  p.classes = {0, 0, 1, 1};
  // Without a label column: inertia and mean distance, weighted when the data has weights.
  const data::Dataset plain =
      data::Dataset::Dense({data::Column::Numeric("x", {1, 2, 3, 4})}, std::nullopt,
                           core::Array<float>(std::vector<float>{1, 1, 2, 0}));
  auto ev = Evaluate(label, data::DatasetView(plain), p);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_DOUBLE_EQ(ev->Get("inertia"), 1 + 4 + 2 * 0.25);
  EXPECT_DOUBLE_EQ(ev->Get("mean_distance"), (1 + 2 + 2 * 0.5) / 4);
  EXPECT_TRUE(std::isnan(ev->Get("adjusted_rand")));
  // With one: how well the clusters match it.
  const data::Dataset labelled = data::Dataset::Dense(
      {data::Column::Numeric("x", {1, 2, 3, 4})},
      data::Column::Categorical("kind", std::vector<int32_t>{1, 1, 0, 0}, {"a", "b"}));
  ev = Evaluate(label, data::DatasetView(labelled), p);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_DOUBLE_EQ(ev->Get("adjusted_rand"), 1.0);
  // Predictions without clusters are refused.
  p.classes.clear();
  EXPECT_FALSE(Evaluate(label, data::DatasetView(plain), p).ok());
}

}  // namespace
}  // namespace kiln::ml
