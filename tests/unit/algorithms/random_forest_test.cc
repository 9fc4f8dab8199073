// decision_tree and random_forest through the registry: a tiny dataset with a known tree,
// accuracy on nonlinear data, determinism across thread counts, the out-of-bag score, save/load,
// row scoring, and bad parameters and corrupt model files.
#include <filesystem>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gbdt_test_util.h"
#include "kiln/core/array_file.h"
#include "kiln/ml/model_io.h"
#include "model_file_rewrite.h"
#include "row_predictor_test_util.h"

namespace kiln::algorithms {
namespace {

using testing::Classes;
using ::testing::HasSubstr;
using testing::Metric;
using testing::Params;
using testing::PredictAll;
using testing::Regression;

std::string TempPath(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) / name).string();
}

ml::AlgorithmRegistry Registry() {
  ml::AlgorithmRegistry registry("algorithm");
  EXPECT_TRUE(RegisterBuiltinAlgorithms(registry).ok());
  return registry;
}

core::Result<std::unique_ptr<ml::Model>> Train(const std::string& algo, const data::Dataset& train,
                                               const Params& params, int threads = 1,
                                               uint64_t seed = 7) {
  const ml::AlgorithmRegistry registry = Registry();
  KILN_ASSIGN_OR_RETURN(const ml::AlgorithmEntry* entry, registry.Get(algo));
  KILN_ASSIGN_OR_RETURN(core::ParamMap map, entry->params.Resolve(params));
  KILN_ASSIGN_OR_RETURN(auto est, entry->factory.create(map));
  core::Context ctx(core::ContextOptions{threads, seed});
  return est->Fit(ml::TrainInput{data::DatasetView(train), std::nullopt}, ctx);
}

TEST(DecisionTreeTest, TinyDatasetGivesTheKnownTree) {
  // Class b exactly when x >= 2.5 and z >= 0.5. In Gini decrease (n-weighted), the root's z
  // split gains 36/6 + 20/6 - 80/12 = 8/3, more than x < 2.5 (4/3); then the z = 1 child splits
  // x at 2.5, also gaining 8/3, so both features have importance 1/2.
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6};
  const std::vector<float> z = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
  std::vector<int32_t> y = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1};
  const data::Dataset ds =
      data::Dataset::Dense({data::Column::Numeric("x", x), data::Column::Numeric("z", z)},
                           data::Column::Categorical("label", y, {"a", "b"}));
  auto model = Train("decision_tree", ds, {});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const nlohmann::json d = (*model)->Describe();
  EXPECT_EQ(d["trees"], 1);
  EXPECT_EQ(d["leaves"], 3);
  EXPECT_EQ(d["max_depth"], 2);
  ASSERT_EQ(d["feature_importance"].size(), 2u);
  EXPECT_NEAR(d["feature_importance"][0]["importance"].get<double>(), 0.5, 1e-9);
  const ml::Predictions p = PredictAll(**model, ds);
  for (size_t i = 0; i < y.size(); ++i) {
    EXPECT_EQ(p.classes[i], y[i]) << i;
    EXPECT_EQ(p.score(i), y[i] == 1 ? 1.0 : 0.0) << i;
  }
  // max_depth = 1 keeps the root split only: the z = 1 leaf holds 4 b of 6 rows.
  auto stump = Train("decision_tree", ds, {{"max_depth", "1"}});
  ASSERT_TRUE(stump.ok());
  EXPECT_EQ((*stump)->Describe()["leaves"], 2);
  EXPECT_DOUBLE_EQ(PredictAll(**stump, ds).score(11), 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(PredictAll(**stump, ds).score(0), 0.0);
}

TEST(DecisionTreeTest, RegressionAndLimits) {
  const data::Dataset train = Regression(2000, 1), test = Regression(500, 2);
  auto model = Train("decision_tree", train, {{"min_samples_leaf", "5"}});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_GT(Metric(**model, test, "r2"), 0.8);
  auto small = Train("decision_tree", train, {{"max_leaves", "7"}});
  ASSERT_TRUE(small.ok());
  EXPECT_EQ((*small)->Describe()["leaves"], 7);
  auto shallow = Train("decision_tree", train, {{"max_depth", "3"}});
  ASSERT_TRUE(shallow.ok());
  EXPECT_LE((*shallow)->Describe()["max_depth"].get<int>(), 3);
  EXPECT_LE((*shallow)->Describe()["leaves"].get<int>(), 8);
}

TEST(RandomForestTest, ClassifiesAndBeatsOneTree) {
  const data::Dataset train = Classes(2000, 3, 3), test = Classes(1000, 3, 4);
  auto forest = Train("random_forest", train, {{"num_trees", "50"}, {"oob_score", "true"}}, 2);
  ASSERT_TRUE(forest.ok()) << forest.status().ToString();
  auto tree = Train("decision_tree", train, {});
  ASSERT_TRUE(tree.ok());
  const double acc = Metric(**forest, test, "accuracy");
  EXPECT_GT(acc, 0.8);
  EXPECT_GT(acc, Metric(**tree, test, "accuracy"));
  const double oob = (*forest)->info().training.extra["oob_accuracy"].get<double>();
  EXPECT_NEAR(oob, acc, 0.05);
  const ml::Predictions p = PredictAll(**forest, test);
  ASSERT_EQ(p.width(), 3u);
  for (size_t i = 0; i < p.rows; ++i)
    EXPECT_NEAR(p.score(i, 0) + p.score(i, 1) + p.score(i, 2), 1.0, 1e-9);
}

TEST(RandomForestTest, RegressionOobR2) {
  const data::Dataset train = Regression(2000, 5), test = Regression(500, 6);
  auto model = Train("random_forest", train, {{"n_estimators", "40"}, {"oob_score", "true"}}, 2);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const double r2 = Metric(**model, test, "r2");
  EXPECT_GT(r2, 0.85);
  EXPECT_NEAR((*model)->info().training.extra["oob_r2"].get<double>(), r2, 0.05);
  EXPECT_EQ((*model)->info().training.extra["max_features"], 3);  // regression: all features
}

TEST(RandomForestTest, SameSeedSameForestForAnyThreadCount) {
  const data::Dataset train = Classes(1500, 2, 7), test = Classes(300, 2, 8);
  auto one = Train("random_forest", train, {{"num_trees", "20"}}, 1, 11);
  auto two = Train("random_forest", train, {{"num_trees", "20"}}, 2, 11);
  auto four = Train("random_forest", train, {{"num_trees", "20"}}, 4, 11);
  auto other = Train("random_forest", train, {{"num_trees", "20"}}, 2, 12);
  ASSERT_TRUE(one.ok() && two.ok() && four.ok() && other.ok());
  const ml::Predictions a = PredictAll(**one, test), b = PredictAll(**two, test),
                        c = PredictAll(**four, test), o = PredictAll(**other, test);
  EXPECT_EQ(a.scores, b.scores);
  EXPECT_EQ(a.scores, c.scores);
  EXPECT_NE(a.scores, o.scores);
  // The seed parameter overrides the run's seed.
  auto p1 = Train("random_forest", train, {{"num_trees", "5"}, {"seed", "3"}}, 1, 11);
  auto p2 = Train("random_forest", train, {{"num_trees", "5"}, {"random_state", "3"}}, 2, 99);
  ASSERT_TRUE(p1.ok() && p2.ok());
  EXPECT_EQ(PredictAll(**p1, test).scores, PredictAll(**p2, test).scores);
}

TEST(RandomForestTest, SaveLoadRoundTripAndRowScoring) {
  for (int classes : {0, 2, 3}) {
    SCOPED_TRACE(classes);
    const data::Dataset train = classes == 0 ? Regression(800, 9) : Classes(800, classes, 9);
    const data::Dataset test = classes == 0 ? Regression(200, 10) : Classes(200, classes, 10);
    for (const char* algo : {"decision_tree", "random_forest"}) {
      const bool forest = std::string(algo) == "random_forest";
      auto model = Train(algo, train, forest ? Params{{"num_trees", "10"}} : Params{});
      ASSERT_TRUE(model.ok()) << model.status().ToString();
      const std::string path = TempPath(std::string(algo) + std::to_string(classes) + ".kiln");
      ASSERT_TRUE(ml::SaveModel(**model, path).ok());
      const ml::AlgorithmRegistry registry = Registry();
      auto loaded = ml::LoadModel(path, registry);
      ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
      EXPECT_EQ(PredictAll(**model, test).scores, PredictAll(**loaded, test).scores);
      EXPECT_EQ((*loaded)->Describe(), (*model)->Describe());
      testing::ExpectRowsMatchPredict(**loaded, test);
    }
  }
}

TEST(RandomForestTest, BadParametersAreClearErrors) {
  const data::Dataset cls = Classes(200, 2, 1), reg = Regression(200, 1);
  struct Case {
    const char* algo;
    bool classification;
    Params params;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"random_forest", true, {{"max_features", "abc"}}, "max_features"},
      {"random_forest", true, {{"max_features", "1.5"}}, "(0, 1]"},
      {"random_forest", true, {{"max_features", "0"}}, "at least 1"},
      {"random_forest", true, {{"bootstrap", "false"}, {"oob_score", "true"}}, "bootstrap"},
      {"decision_tree", true, {{"criterion", "squared_error"}}, "regression"},
      {"decision_tree", true, {{"min_samples_leaf", "0"}}, "min_samples_leaf"},
      {"random_forest", true, {{"num_trees", "0"}}, "num_trees"},
      {"decision_tree", true, {{"criterion", "mse"}}, "criterion"},
      {"decision_tree", false, {{"max_depth", "-1"}}, "max_depth"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    auto r = Train(c.algo, c.classification ? cls : reg, c.params);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.status().ToString(), HasSubstr(c.message));
  }
}

// A model file rewritten with one array changed (the checksum is valid: only the loader's own
// checks stand between the file and the traversal).
TEST(RandomForestTest, CorruptModelFilesAreErrors) {
  auto model = Train("random_forest", Classes(300, 3, 2), {{"num_trees", "3"}});
  ASSERT_TRUE(model.ok());
  const std::string path = TempPath("rf_consistent.kiln");
  ASSERT_TRUE(ml::SaveModel(**model, path).ok());
  const ml::AlgorithmRegistry registry = Registry();
  ASSERT_TRUE(ml::LoadModel(path, registry).ok());
  const std::vector<std::string> bad = {
      RewriteModelArray<double>(path, "node_dist", [](auto& v) { v.pop_back(); }),
      RewriteModelArray<int32_t>(path, "node_left", [](auto& v) { v[0] = 0; }),
      RewriteModelArray<int32_t>(path, "node_feature", [](auto& v) { v[0] = 99; }),
      RewriteModelArray<uint8_t>(path, "node_flags", [](auto& v) { v[0] ^= 2; }),
  };
  for (const std::string& p : bad) {
    auto r = ml::LoadModel(p, registry);
    ASSERT_FALSE(r.ok()) << p;
    EXPECT_EQ(r.status().code(), core::StatusCode::kCorrupt) << r.status().ToString();
  }
}

}  // namespace
}  // namespace kiln::algorithms
