// Behaviour of logistic_regression, linear_regression and linear_svm through the registry.
#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kiln/ml/model_io.h"
#include "linear_test_util.h"

namespace kiln::algorithms {
namespace {

using testing::Classification;
using ::testing::HasSubstr;
using testing::Train;

std::vector<double> Weights(const ml::Model& m) {
  std::vector<double> out;
  const nlohmann::json d = m.Describe();  // keep alive while iterating
  for (const auto& row : d["weights"]) {
    for (double v : row) out.push_back(v);
  }
  for (double v : d["intercept"]) out.push_back(v);
  return out;
}

void ExpectClose(const std::vector<double>& a, const std::vector<double>& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tol) << "at " << i;
}

// The dataset with row `r` appended again.
data::Dataset WithDuplicate(const data::Dataset& ds, size_t r) {
  std::vector<data::Column> cols;
  for (const auto& c : ds.columns()) {
    if (c.type == data::ColumnType::kNumeric) {
      auto v = c.values.ToVector();
      v.push_back(v[r]);
      cols.push_back(data::Column::Numeric(c.name, v));
    } else {
      auto v = c.codes.ToVector();
      v.push_back(v[r]);
      cols.push_back(data::Column::Categorical(c.name, v, c.categories));
    }
  }
  auto y = ds.label()->codes.ToVector();
  y.push_back(y[r]);
  return data::Dataset::Dense(cols, data::Column::Categorical("label", y, ds.label()->categories));
}

TEST(LinearModelsTest, DuplicatingARowEqualsWeightTwo) {
  for (const char* algo : {"logistic_regression", "linear_svm"}) {
    data::Dataset base = Classification(120, 2, 1);
    std::vector<float> w(120, 1.0f);
    w[5] = 2.0f;
    data::Dataset weighted = Classification(120, 2, 1, w);
    data::Dataset dup = WithDuplicate(base, 5);
    // Fixed l2 so both problems have the same penalty (the default scales with the weights).
    // standardize=false: the duplicate would shift the column statistics.
    std::vector<std::pair<std::string, std::string>> p = {
        {"l2", "0.01"}, {"tol", "1e-10"}, {"standardize", "false"}};
    auto a = Train(algo, weighted, p);
    auto b = Train(algo, dup, p);
    ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString() << b.status().ToString();
    // Mean loss: weight 2 of 121 vs duplicate of 121 rows — identical objectives.
    ExpectClose(Weights(**a), Weights(**b), 1e-6);
  }
}

TEST(LinearModelsTest, ClassWeightEqualsDuplicatingTheClass) {
  data::Dataset base = Classification(80, 2, 2);
  data::Dataset dup = base;
  for (size_t r = 0; r < 80; ++r) {
    if (base.label()->codes[r] == 1) dup = WithDuplicate(dup, r);
  }
  std::vector<float> w(dup.num_rows(), 1.0f);
  auto a = Train(
      "logistic_regression", base,
      {{"class_weight", "yes:2"}, {"l2", "0.01"}, {"tol", "1e-10"}, {"standardize", "false"}});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  // Duplicating gives n' rows; class_weight keeps W = n. Compare with l2 scaled accordingly.
  const double ratio = static_cast<double>(dup.num_rows()) / 80.0;
  auto b =
      Train("logistic_regression", dup,
            {{"l2", fmt::format("{}", 0.01 / ratio)}, {"tol", "1e-10"}, {"standardize", "false"}});
  ASSERT_TRUE(b.ok());
  ExpectClose(Weights(**a), Weights(**b), 1e-5);
}

TEST(LinearModelsTest, BalancedClassWeightsAndUnknownClass) {
  data::Dataset ds = Classification(100, 3, 3);
  EXPECT_TRUE(Train("logistic_regression", ds, {{"class_weight", "balanced"}}).ok());
  auto bad = Train("logistic_regression", ds, {{"class_weight", "mid:2,huge:3"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("'huge'"));
  EXPECT_THAT(bad.status().message(), HasSubstr("hi, lo, mid"));
  auto syntax = Train("linear_svm", ds, {{"class_weight", "mid=2"}});
  ASSERT_FALSE(syntax.ok());
  EXPECT_THAT(syntax.status().message(), HasSubstr("CLASS:W"));
  auto negative = Train("linear_svm", ds, {{"class_weight", "mid:-1"}});
  EXPECT_FALSE(negative.ok());
}

TEST(LinearModelsTest, InterceptOff) {
  data::Dataset ds = Classification(100, 2, 4);
  for (const char* algo : {"logistic_regression", "linear_svm"}) {
    auto m = Train(algo, ds, {{"fit_intercept", "false"}});
    ASSERT_TRUE(m.ok());
    EXPECT_EQ((*m)->Describe()["intercept"][0].get<double>(), 0.0);
  }
}

TEST(LinearModelsTest, MultinomialProbabilitiesSumToOne) {
  data::Dataset ds = Classification(150, 3, 5);
  auto m = Train("logistic_regression", ds, {});
  ASSERT_TRUE(m.ok());
  core::Context ctx;
  auto p = (*m)->Predict(data::DatasetView(ds), ctx);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->width(), 3u);
  for (size_t i = 0; i < p->rows; ++i) {
    EXPECT_NEAR(p->score(i, 0) + p->score(i, 1) + p->score(i, 2), 1.0, 1e-12);
    EXPECT_GT(p->score(i, static_cast<size_t>(p->classes[i])), 1.0 / 3);
  }
  // Sum of intercepts is 0 (reported centred).
  double s = 0;
  const nlohmann::json d = (*m)->Describe();
  for (double v : d["intercept"]) s += v;
  EXPECT_NEAR(s, 0.0, 1e-12);
}

TEST(LinearModelsTest, LearnsTheRuleAndPredictsWithOtherColumnOrder) {
  data::Dataset ds = Classification(400, 2, 6);
  auto m = Train("logistic_regression", ds, {});
  ASSERT_TRUE(m.ok());
  data::Dataset reordered = data::Dataset::Dense(
      {ds.columns()[2], ds.columns()[1], data::Column::Numeric("noise", std::vector<float>(400)),
       ds.columns()[0]});
  core::Context ctx;
  auto a = (*m)->Predict(data::DatasetView(ds), ctx);
  auto b = (*m)->Predict(data::DatasetView(reordered), ctx);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->scores, b->scores);
  size_t correct = 0;
  for (size_t i = 0; i < 400; ++i) correct += a->classes[i] == ds.label()->codes[i];
  EXPECT_GT(correct, 340u);
}

TEST(LinearModelsTest, OlsRecoversExactCoefficients) {
  core::Rng rng(9);
  std::vector<float> x1(50), x2(50), y(50);
  for (size_t i = 0; i < 50; ++i) {
    x1[i] = static_cast<float>(rng.Normal() * 3 + 10);
    x2[i] = static_cast<float>(rng.Uniform() * 100);
    y[i] = static_cast<float>(2.5 * x1[i] - 0.25 * x2[i] + 4);
  }
  data::Dataset ds =
      data::Dataset::Dense({data::Column::Numeric("x1", x1), data::Column::Numeric("x2", x2)},
                           data::Column::Numeric("y", y));
  for (const char* solver : {"normal", "cd", "lbfgs"}) {
    auto m = Train("linear_regression", ds, {{"l2", "0"}, {"solver", solver}, {"tol", "1e-12"}});
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    auto d = (*m)->Describe();
    EXPECT_NEAR(d["coefficients_raw"][0][0].get<double>(), 2.5, 1e-4) << solver;
    EXPECT_NEAR(d["coefficients_raw"][0][1].get<double>(), -0.25, 1e-4) << solver;
    EXPECT_NEAR(d["intercept_raw"][0].get<double>(), 4.0, 1e-3) << solver;
  }
}

TEST(LinearModelsTest, CollinearOneHotOlsStillSolves) {
  // One-hot of every category plus an intercept is singular with l2 = 0.
  data::Dataset ds =
      data::Dataset::Dense({data::Column::Categorical("c", {0, 1, 2, 0, 1, 2}, {"a", "b", "c"})},
                           data::Column::Numeric("y", {1, 2, 3, 1, 2, 3}));
  auto m = Train("linear_regression", ds, {{"l2", "0"}, {"solver", "normal"}});
  ASSERT_TRUE(m.ok());
  core::Context ctx;
  auto p = (*m)->Predict(data::DatasetView(ds), ctx);
  for (size_t i = 0; i < 6; ++i) EXPECT_NEAR(p->scores[i], (i % 3) + 1.0, 1e-8);
}

TEST(LinearModelsTest, LassoZeroesIrrelevantColumns) {
  data::Dataset ds = Classification(300, 2, 10);
  std::vector<float> y(300);
  for (size_t i = 0; i < 300; ++i) y[i] = 3 * ds.columns()[0].values[i] + 1;
  data::Dataset reg = data::Dataset::Dense(ds.columns(), data::Column::Numeric("y", y));
  auto m = Train("linear_regression", reg, {{"l1", "0.5"}});
  ASSERT_TRUE(m.ok());
  auto d = (*m)->Describe();
  EXPECT_EQ((*m)->info().training.extra["solver"], "cd");
  EXPECT_EQ(d["weights"][0][1].get<double>(), 0.0);  // b is irrelevant
  EXPECT_GT(d["weights"][0][0].get<double>(), 1.0);
}

TEST(LinearModelsTest, BadParametersAreClearErrors) {
  data::Dataset ds = Classification(60, 2, 11);
  auto a = Train("logistic_regression", ds, {{"l1", "0.1"}, {"solver", "lbfgs"}});
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.status().message(), HasSubstr("l1"));
  EXPECT_THAT(a.status().message(), HasSubstr("owlqn"));
  auto b = Train("linear_svm", ds, {{"l2", "0"}});
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(b.status().message(), HasSubstr("'l2' must be > 0"));
  std::vector<float> y(60, 1.0f);
  y[0] = 2;
  data::Dataset reg = data::Dataset::Dense(ds.columns(), data::Column::Numeric("y", y));
  auto c = Train("linear_regression", reg, {{"l1", "0.1"}, {"solver", "normal"}});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("solver = normal"));
  // A text label for regression names the problem.
  auto d = Train("linear_regression", ds, {});
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("regression needs a numeric target"));
  // Negative sample weights.
  std::vector<float> w(60, 1.0f);
  w[7] = -1;
  auto e = Train("logistic_regression", Classification(60, 2, 11, w), {});
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr("row 8"));
}

TEST(LinearModelsTest, CoordinateDescentNeedsDenseData) {
  data::CsrMatrix m;
  m.indptr = core::Array<uint64_t>(std::vector<uint64_t>{0, 1, 2, 3});
  m.indices = core::Array<uint32_t>(std::vector<uint32_t>{0, 1, 0});
  m.values = core::Array<float>(std::vector<float>{1, 1, 2});
  m.num_cols = 2;
  data::Dataset ds = data::Dataset::Sparse(m, data::Column::Numeric("y", {1, 2, 3}));
  auto r = Train("linear_regression", ds, {{"solver", "cd"}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("dense"));
  EXPECT_TRUE(Train("linear_regression", ds, {}).ok());
}

TEST(LinearModelsTest, SolverFactsAreRecorded) {
  data::Dataset ds = Classification(100, 2, 12);
  auto m = Train("logistic_regression", ds, {});
  ASSERT_TRUE(m.ok());
  const auto& extra = (*m)->info().training.extra;
  EXPECT_EQ(extra["solver"], "lbfgs");
  EXPECT_TRUE(extra["converged"].get<bool>());
  EXPECT_GT(extra["iterations"].get<int>(), 0);
  EXPECT_NEAR(extra["l2"].get<double>(), 0.01, 1e-12);  // default 1/n
  auto d = (*m)->Describe();
  EXPECT_EQ(d["features"][2], "c=x");
}

TEST(LinearModelsTest, OnlineSolversLearn) {
  data::Dataset ds = Classification(500, 2, 13);
  for (const char* solver : {"ftrl", "adagrad", "sgd"}) {
    auto m = Train("logistic_regression", ds, {{"solver", solver}});
    ASSERT_TRUE(m.ok());
    core::Context ctx;
    auto p = (*m)->Predict(data::DatasetView(ds), ctx);
    size_t correct = 0;
    for (size_t i = 0; i < 500; ++i) correct += p->classes[i] == ds.label()->codes[i];
    EXPECT_GT(correct, 420u) << solver;
  }
}

}  // namespace
}  // namespace kiln::algorithms
