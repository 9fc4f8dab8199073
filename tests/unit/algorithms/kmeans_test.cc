// kmeans: clusters found on data whose answer is known, given starting centres, mini-batch,
// sparse rows, weights, empty clusters, thread-count independence, the row predictor, saving,
// and the errors users meet.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kiln/ml/model_io.h"
#include "linear_test_util.h"
#include "row_predictor_test_util.h"

namespace kiln::algorithms {
namespace {

using testing::ExpectRowsMatchPredict;
using ::testing::HasSubstr;
using testing::MakeRegistry;
using testing::PredictOn;
using testing::Train;

// `per` points around each of the centres (x, y), spread `spread`, no label.
data::Dataset Blobs(const std::vector<std::pair<float, float>>& centres, size_t per, double spread,
                    uint64_t seed, std::vector<float> weights = {}) {
  core::Rng rng(seed);
  std::vector<float> x, y;
  for (size_t i = 0; i < per; ++i) {
    for (const auto& [cx, cy] : centres) {
      x.push_back(cx + static_cast<float>(rng.Normal() * spread));
      y.push_back(cy + static_cast<float>(rng.Normal() * spread));
    }
  }
  return data::Dataset::Dense({data::Column::Numeric("x", x), data::Column::Numeric("y", y)},
                              std::nullopt,
                              weights.empty() ? core::Array<float>() : core::Array<float>(weights));
}

data::Dataset Points1d(std::vector<float> x, std::vector<float> weights = {}) {
  return data::Dataset::Dense(
      {data::Column::Numeric("x", std::move(x))}, std::nullopt,
      weights.empty() ? core::Array<float>() : core::Array<float>(std::move(weights)));
}

std::vector<std::vector<double>> Centres(const ml::Model& m) {
  return m.Describe()["centres"].get<std::vector<std::vector<double>>>();
}

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = (std::filesystem::path(::testing::TempDir()) / name).string();
  std::ofstream(path) << text;
  return path;
}

TEST(KMeansTest, FindsSeparatedBlobs) {
  const std::vector<std::pair<float, float>> truth = {{0, 0}, {10, 0}, {0, 10}};
  const data::Dataset ds = Blobs(truth, 100, 0.5, 1);
  for (const char* solver : {"lloyd", "minibatch"}) {
    SCOPED_TRACE(solver);
    auto model =
        Train("kmeans", ds, {{"n_clusters", "3"}, {"solver", solver}, {"batch_size", "64"}});
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    EXPECT_EQ((*model)->info().label.task, ml::Task::kClustering);
    EXPECT_EQ((*model)->info().label.clusters, 3u);
    // Every true centre has a found centre next to it, and the rows of a blob share a cluster.
    const auto found = Centres(**model);
    for (const auto& [cx, cy] : truth) {
      double nearest = 1e9;
      for (const auto& c : found) nearest = std::min(nearest, std::hypot(c[0] - cx, c[1] - cy));
      EXPECT_LT(nearest, 0.3) << cx << "," << cy;
    }
    const ml::Predictions p = PredictOn(**model, ds);
    for (size_t i = 0; i < p.rows; ++i) EXPECT_EQ(p.classes[i], p.classes[i % 3]) << i;
    EXPECT_EQ(p.task, ml::Task::kClustering);
    EXPECT_FALSE(p.probabilistic);
  }
}

TEST(KMeansTest, GivenCentresConvergeToTheMeans) {
  // Points 0, 1 and 10, 11, 12 from centres 1 and 2: Lloyd moves them to 0.5 and 11.
  const data::Dataset ds = Points1d({0, 1, 10, 11, 12});
  const std::string path = WriteFile("centres_1d.csv", "x\n1\n2\n");
  auto model = Train("kmeans", ds, {{"init_centers", path}});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->info().label.clusters, 2u);  // from the file's rows
  const auto c = Centres(**model);
  EXPECT_DOUBLE_EQ(c[0][0], 0.5);
  EXPECT_DOUBLE_EQ(c[1][0], 11.0);
  const nlohmann::json& extra = (*model)->info().training.extra;
  EXPECT_DOUBLE_EQ(extra["inertia"].get<double>(), 0.25 + 0.25 + 1 + 0 + 1);
  EXPECT_TRUE(extra["converged"].get<bool>());
  // Predictions: the nearest centre and the distance to it.
  const ml::Predictions p = PredictOn(**model, Points1d({-1, 6, 5.5}));
  EXPECT_EQ(p.classes, (std::vector<int32_t>{0, 1, 0}));
  EXPECT_DOUBLE_EQ(p.scores[0], 1.5);
  EXPECT_DOUBLE_EQ(p.scores[1], 5.0);  // 5.5 from 0.5, 5 from 11
  EXPECT_DOUBLE_EQ(p.scores[2], 5.0);  // 5 from 0.5, 5.5 from 11
}

TEST(KMeansTest, WeightTwoEqualsADuplicatedRow) {
  const std::string path = WriteFile("centres_w.csv", "x\n0\n9\n");
  auto weighted = Train("kmeans", Points1d({0, 2, 9, 13}, {1, 2, 1, 1}), {{"init_centers", path}});
  auto duplicated = Train("kmeans", Points1d({0, 2, 2, 9, 13}), {{"init_centers", path}});
  ASSERT_TRUE(weighted.ok() && duplicated.ok());
  EXPECT_EQ(Centres(**weighted), Centres(**duplicated));
  EXPECT_DOUBLE_EQ(Centres(**weighted)[0][0], 4.0 / 3);
}

TEST(KMeansTest, AnEmptyClusterTakesTheFarthestRow) {
  // The centre at 100 gets no row at first; it moves to the row farthest from its centre (20).
  const std::string path = WriteFile("centres_empty.csv", "x\n0\n1\n100\n");
  auto model = Train("kmeans", Points1d({0, 1, 2, 3, 20}), {{"init_centers", path}});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  std::vector<double> c;
  for (const auto& row : Centres(**model)) c.push_back(row[0]);
  std::sort(c.begin(), c.end());
  EXPECT_DOUBLE_EQ(c[2], 20.0);
}

TEST(KMeansTest, SameModelForAnyThreadCount) {
  // Enough rows for several blocks of every parallel step.
  const data::Dataset ds = Blobs({{0, 0}, {3, 1}, {1, 4}, {5, 5}}, 6000, 1.5, 2);
  for (const char* solver : {"lloyd", "minibatch"}) {
    SCOPED_TRACE(solver);
    std::vector<std::vector<std::vector<double>>> seen;
    for (int threads : {1, 2, 3}) {
      auto model = Train("kmeans", ds, {{"k", "7"}, {"solver", solver}, {"n_init", "2"}}, threads);
      ASSERT_TRUE(model.ok()) << model.status().ToString();
      seen.push_back(Centres(**model));
    }
    EXPECT_EQ(seen[0], seen[1]);
    EXPECT_EQ(seen[0], seen[2]);
  }
}

TEST(KMeansTest, SparseRowsGiveTheDenseCentres) {
  // (0,0) (0,1) (5,5) (6,5) as CSR rows and as columns, from the same starting centres.
  data::CsrMatrix m;
  m.indptr = core::Array<uint64_t>(std::vector<uint64_t>{0, 0, 1, 3, 5});
  m.indices = core::Array<uint32_t>(std::vector<uint32_t>{1, 0, 1, 0, 1});
  m.values = core::Array<float>(std::vector<float>{1, 5, 5, 6, 5});
  m.num_cols = 2;
  data::Dataset sparse = data::Dataset::Sparse(m);
  data::Schema schema;
  schema.sparse = true;
  schema.num_sparse_features = 2;
  schema.index_base = 1;
  sparse.set_schema(schema);
  const data::Dataset dense = data::Dataset::Dense(
      {data::Column::Numeric("f1", {0, 0, 5, 6}), data::Column::Numeric("f2", {0, 1, 5, 5})});
  const std::string path = WriteFile("centres_sparse.csv", "f1,f2\n0,0\n6,6\n");
  auto s = Train("kmeans", sparse, {{"init_centers", path}});
  auto d = Train("kmeans", dense, {{"init_centers", path}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(Centres(**s), Centres(**d));
  EXPECT_EQ(Centres(**s)[1], (std::vector<double>{5.5, 5}));
  EXPECT_EQ(PredictOn(**s, sparse).classes, (std::vector<int32_t>{0, 0, 1, 1}));
}

TEST(KMeansTest, RowPredictorMatchesPredict) {
  // Numeric columns with gaps and a categorical column (one-hot), as serving sees them.
  const data::Dataset base = testing::Classification(300, 3, 5);
  const data::Dataset train = testing::WithGaps(base, false, false);
  auto model = Train("kmeans", train, {{"k", "4"}, {"standardize", "true"}});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ExpectRowsMatchPredict(**model, testing::WithGaps(base, false, true));
}

TEST(KMeansTest, SavedModelsPredictTheSame) {
  const data::Dataset ds = Blobs({{0, 0}, {4, 4}}, 50, 1.0, 3);
  auto model = Train("kmeans", ds, {{"k", "2"}});
  ASSERT_TRUE(model.ok());
  const std::string path = (std::filesystem::path(::testing::TempDir()) / "km.kiln").string();
  ASSERT_TRUE(ml::SaveModel(**model, path).ok());
  auto loaded = ml::LoadModel(path, MakeRegistry());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(PredictOn(**loaded, ds).scores, PredictOn(**model, ds).scores);
  EXPECT_EQ((*loaded)->info().label.clusters, 2u);
}

TEST(KMeansTest, BadInputIsAClearError) {
  auto too_many = Train("kmeans", Points1d({1, 2, 3}), {{"n_clusters", "4"}});
  ASSERT_FALSE(too_many.ok());
  EXPECT_THAT(too_many.status().message(),
              HasSubstr("num_clusters = 4 but the data has only 3 rows"));

  auto empty = Train("kmeans", Points1d({}), {});
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(), HasSubstr("no training rows"));

  const std::string two = WriteFile("centres_two.csv", "x\n1\n2\n");
  auto mismatch = Train("kmeans", Points1d({1, 2, 3, 4}), {{"init_centers", two}, {"k", "3"}});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(mismatch.status().message(), HasSubstr("has 2 centres but num_clusters = 3"));

  const std::string wrong = WriteFile("centres_wrong.csv", "z\n1\n2\n");
  auto unnamed = Train("kmeans", Points1d({1, 2, 3, 4}), {{"init_centers", wrong}});
  ASSERT_FALSE(unnamed.ok());
  EXPECT_THAT(unnamed.status().message(), HasSubstr("no column for feature x"));

  auto absent = Train("kmeans", Points1d({1, 2, 3}), {{"init_centers", "/no/such/centres.csv"}});
  ASSERT_FALSE(absent.ok());
  EXPECT_THAT(absent.status().ToString(), HasSubstr("init_centers"));

  for (auto [key, value] : std::vector<std::pair<const char*, const char*>>{
           {"n_clusters", "0"}, {"solver", "elkan"}, {"tol", "-1"}, {"init", "farthest"}}) {
    auto bad = Train("kmeans", Points1d({1, 2, 3}), {{key, value}});
    ASSERT_FALSE(bad.ok()) << key;
    EXPECT_EQ(bad.status().code(), core::StatusCode::kInvalidArgument) << key;
  }
}

}  // namespace
}  // namespace kiln::algorithms
