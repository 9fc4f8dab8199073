// naive_bayes: the three variants against estimates worked out by hand, sparse rows, weights,
// priors, the one-row scorer, saving and the errors users meet.
#include <cmath>
#include <filesystem>
#include <numbers>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kiln/ml/model_io.h"
#include "linear_test_util.h"
#include "row_predictor_test_util.h"

namespace kiln::algorithms {
namespace {

using testing::Classification;
using testing::ExpectRowsMatchPredict;
using ::testing::HasSubstr;
using testing::MakeRegistry;
using testing::PredictOn;
using testing::Train;
using testing::WithGaps;

// Two numeric columns (counts) and a label a/b.
data::Dataset Counts(std::vector<float> x0, std::vector<float> x1, std::vector<int32_t> y,
                     std::vector<float> weights = {}) {
  return data::Dataset::Dense(
      {data::Column::Numeric("x0", std::move(x0)), data::Column::Numeric("x1", std::move(x1))},
      data::Column::Categorical("label", std::move(y), {"a", "b"}),
      weights.empty() ? core::Array<float>() : core::Array<float>(std::move(weights)));
}

TEST(NaiveBayesTest, GaussianMatchesTheFormula) {
  // Class a: x0 = {1, 3} (mean 2, var 1); class b: x0 = {5, 7, 9} (mean 7, var 8/3). x1 constant.
  const data::Dataset train = Counts({1, 3, 5, 7, 9}, {1, 1, 1, 1, 1}, {0, 0, 1, 1, 1});
  auto model = Train("naive_bayes", train, {{"var_smoothing", "0.01"}});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  // epsilon = 0.01 × the largest variance over all rows (x0: var{1,3,5,7,9} = 8).
  const double eps = 0.08;
  const nlohmann::json d = (*model)->Describe();
  EXPECT_DOUBLE_EQ(d["per_class"]["a"]["mean"][0].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(d["per_class"]["b"]["var"][0].get<double>(), 8.0 / 3 + eps);
  EXPECT_DOUBLE_EQ(d["per_class"]["b"]["var"][1].get<double>(), eps);
  EXPECT_DOUBLE_EQ(d["class_prior"][1].get<double>(), 0.6);

  auto log_gauss = [](double x, double mean, double var) {
    return -0.5 * std::log(2 * std::numbers::pi * var) - 0.5 * (x - mean) * (x - mean) / var;
  };
  const double ja = std::log(0.4) + log_gauss(4.5, 2, 1 + eps) + log_gauss(1, 1, eps);
  const double jb = std::log(0.6) + log_gauss(4.5, 7, 8.0 / 3 + eps) + log_gauss(1, 1, eps);
  const ml::Predictions p = PredictOn(**model, Counts({4.5}, {1}, {0}));
  ASSERT_EQ(p.rows, 1u);
  EXPECT_NEAR(p.scores[0], 1.0 / (1.0 + std::exp(ja - jb)), 1e-12);
  EXPECT_EQ(p.classes[0], jb > ja ? 1 : 0);
}

TEST(NaiveBayesTest, MultinomialAndBernoulliMatchTheCounts) {
  // Class a: rows (2,0), (1,1) -> totals (3,1); class b: (0,3) -> totals (0,3).
  const data::Dataset train = Counts({2, 1, 0}, {0, 1, 3}, {0, 0, 1});
  auto multi = Train("naive_bayes", train, {{"variant", "multinomial"}, {"alpha", "1"}});
  ASSERT_TRUE(multi.ok()) << multi.status().ToString();
  const nlohmann::json m = (*multi)->Describe();
  EXPECT_NEAR(m["per_class"]["a"]["feature_log_prob"][0].get<double>(), std::log(4.0 / 6), 1e-15);
  EXPECT_NEAR(m["per_class"]["b"]["feature_log_prob"][1].get<double>(), std::log(4.0 / 5), 1e-15);
  // P(b | x = (1, 2)) from the formula.
  const double ja = std::log(2.0 / 3) + 1 * std::log(4.0 / 6) + 2 * std::log(2.0 / 6);
  const double jb = std::log(1.0 / 3) + 1 * std::log(1.0 / 5) + 2 * std::log(4.0 / 5);
  ml::Predictions p = PredictOn(**multi, Counts({1}, {2}, {0}));
  EXPECT_NEAR(p.scores[0], 1.0 / (1.0 + std::exp(ja - jb)), 1e-12);

  // Bernoulli with binarize 1.5: present = x > 1.5. Class a: x0 present in 1 of 2 rows, x1 in 0.
  auto bern = Train("naive_bayes", train, {{"variant", "bernoulli"}, {"binarize", "1.5"}});
  ASSERT_TRUE(bern.ok()) << bern.status().ToString();
  const nlohmann::json b = (*bern)->Describe();
  EXPECT_NEAR(b["per_class"]["a"]["feature_log_prob"][0].get<double>(), std::log(2.0 / 4), 1e-15);
  EXPECT_NEAR(b["per_class"]["a"]["feature_log_prob"][1].get<double>(), std::log(1.0 / 4), 1e-15);
  // x = (3, 0): x0 present, x1 absent.
  const double ba = std::log(2.0 / 3) + std::log(2.0 / 4) + std::log(1 - 1.0 / 4);
  const double bb = std::log(1.0 / 3) + std::log(1.0 / 3) + std::log(1 - 2.0 / 3);
  p = PredictOn(**bern, Counts({3}, {0}, {0}));
  EXPECT_NEAR(p.scores[0], 1.0 / (1.0 + std::exp(ba - bb)), 1e-12);
}

TEST(NaiveBayesTest, SparseRowsGiveTheDenseAnswer) {
  // The same counts as CSR rows: (2,0), (1,1), (0,3), (4,1).
  data::CsrMatrix m;
  m.indptr = core::Array<uint64_t>(std::vector<uint64_t>{0, 1, 3, 4, 6});
  m.indices = core::Array<uint32_t>(std::vector<uint32_t>{0, 0, 1, 1, 0, 1});
  m.values = core::Array<float>(std::vector<float>{2, 1, 1, 3, 4, 1});
  m.num_cols = 2;
  const data::Dataset sparse = data::Dataset::Sparse(
      m, data::Column::Categorical("label", std::vector<int32_t>{0, 0, 1, 1}, {"a", "b"}));
  const data::Dataset dense = Counts({2, 1, 0, 4}, {0, 1, 3, 1}, {0, 0, 1, 1});
  for (const char* variant : {"gaussian", "multinomial", "bernoulli"}) {
    SCOPED_TRACE(variant);
    auto s = Train("naive_bayes", sparse, {{"variant", variant}});
    auto d = Train("naive_bayes", dense, {{"variant", variant}});
    ASSERT_TRUE(s.ok() && d.ok());
    const ml::Predictions ps = PredictOn(**s, sparse);
    const ml::Predictions pd = PredictOn(**d, dense);
    ASSERT_EQ(ps.scores.size(), pd.scores.size());
    for (size_t i = 0; i < ps.scores.size(); ++i) EXPECT_NEAR(ps.scores[i], pd.scores[i], 1e-12);
    EXPECT_EQ(ps.classes, pd.classes);
  }
}

TEST(NaiveBayesTest, WeightTwoEqualsADuplicatedRow) {
  const data::Dataset weighted = Counts({2, 1, 0, 4}, {0, 1, 3, 1}, {0, 0, 1, 1}, {1, 2, 1, 1});
  const data::Dataset duplicated = Counts({2, 1, 1, 0, 4}, {0, 1, 1, 3, 1}, {0, 0, 0, 1, 1});
  const data::Dataset probe = Counts({0.5f, 3}, {2, 0.5f}, {0, 0});
  for (const char* variant : {"gaussian", "multinomial", "bernoulli"}) {
    SCOPED_TRACE(variant);
    // var_smoothing scales with the unweighted variance over rows (as sklearn's): off here.
    auto a = Train("naive_bayes", weighted, {{"variant", variant}, {"var_smoothing", "0"}});
    auto b = Train("naive_bayes", duplicated, {{"variant", variant}, {"var_smoothing", "0"}});
    ASSERT_TRUE(a.ok() && b.ok());
    const ml::Predictions pa = PredictOn(**a, probe);
    const ml::Predictions pb = PredictOn(**b, probe);
    for (size_t i = 0; i < pa.scores.size(); ++i) EXPECT_NEAR(pa.scores[i], pb.scores[i], 1e-12);
  }
}

TEST(NaiveBayesTest, PriorsFromTheUser) {
  const data::Dataset train = Counts({2, 1, 0}, {0, 1, 3}, {0, 0, 1});
  auto uniform = Train("naive_bayes", train, {{"variant", "multinomial"}, {"fit_prior", "false"}});
  ASSERT_TRUE(uniform.ok());
  EXPECT_DOUBLE_EQ((*uniform)->Describe()["class_prior"][0].get<double>(), 0.5);
  // Normalised, and 'class_prior' is the sklearn spelling.
  auto given = Train("naive_bayes", train, {{"class_prior", "a:1, b:3"}});
  ASSERT_TRUE(given.ok()) << given.status().ToString();
  EXPECT_DOUBLE_EQ((*given)->Describe()["class_prior"][1].get<double>(), 0.75);

  auto unknown = Train("naive_bayes", train, {{"priors", "a:0.5,c:0.5"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("'c'"));
  auto partial = Train("naive_bayes", train, {{"priors", "a:1"}});
  ASSERT_FALSE(partial.ok());
  EXPECT_THAT(partial.status().message(), HasSubstr("no prior for class 'b'"));
  auto zero = Train("naive_bayes", train, {{"priors", "a:0,b:1"}});
  ASSERT_FALSE(zero.ok());
  EXPECT_THAT(zero.status().message(), HasSubstr("P > 0"));
}

TEST(NaiveBayesTest, BadInputIsAClearError) {
  // Multinomial needs counts; the message names the feature and the row.
  const data::Dataset negative = Counts({2, -1, 0}, {0, 1, 3}, {0, 0, 1});
  auto r = Train("naive_bayes", negative, {{"variant", "multinomial"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kDataError);
  EXPECT_THAT(r.status().message(), HasSubstr("feature 'x0' is -1"));
  EXPECT_THAT(r.status().message(), HasSubstr("row 2"));
  // Gaussian and Bernoulli take any numbers.
  EXPECT_TRUE(Train("naive_bayes", negative, {{"variant", "bernoulli"}}).ok());

  auto empty = Train("naive_bayes", Counts({}, {}, {}), {});
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(), HasSubstr("no training rows"));
  auto one_class = Train("naive_bayes", Counts({1, 2}, {1, 2}, {0, 0}), {});
  ASSERT_FALSE(one_class.ok());
  EXPECT_THAT(one_class.status().message(), HasSubstr("at least two classes"));

  for (auto [key, value] :
       std::vector<std::pair<const char*, const char*>>{{"variant", "poisson"},
                                                        {"alpha", "-1"},
                                                        {"var_smoothing", "-0.1"},
                                                        {"binarize", "-0.5"}}) {
    auto bad = Train("naive_bayes", negative, {{key, value}});
    ASSERT_FALSE(bad.ok()) << key;
    EXPECT_EQ(bad.status().code(), core::StatusCode::kInvalidArgument);
    EXPECT_THAT(bad.status().message(), HasSubstr(key));
  }
}

TEST(NaiveBayesTest, RowPredictorMatchesPredictForEveryVariant) {
  for (const char* variant : {"gaussian", "multinomial", "bernoulli"}) {
    for (int classes : {2, 3}) {
      SCOPED_TRACE(std::string(variant) + " classes=" + std::to_string(classes));
      // Multinomial needs counts: the numeric columns are made non-negative.
      data::Dataset base = Classification(300, classes, 3);
      if (std::string(variant) == "multinomial") {
        std::vector<data::Column> cols;
        for (const data::Column& c : base.columns()) {
          if (c.type != data::ColumnType::kNumeric) {
            cols.push_back(c);
            continue;
          }
          auto v = c.values.ToVector();
          for (float& x : v) x = std::abs(x);
          cols.push_back(data::Column::Numeric(c.name, v));
        }
        base = data::Dataset::Dense(cols, *base.label());
      }
      auto model = Train("naive_bayes", WithGaps(base, false, false), {{"variant", variant}});
      ASSERT_TRUE(model.ok()) << model.status().ToString();
      ExpectRowsMatchPredict(**model, WithGaps(base, false, true));
    }
  }
}

TEST(NaiveBayesTest, SavedModelsPredictTheSame) {
  const ml::AlgorithmRegistry registry = MakeRegistry();
  const data::Dataset train = Counts({2, 1, 0, 4, 0}, {0, 1, 3, 1, 2}, {0, 0, 1, 1, 1});
  for (const char* variant : {"gaussian", "multinomial", "bernoulli"}) {
    SCOPED_TRACE(variant);
    auto model = Train("naive_bayes", train, {{"variant", variant}, {"binarize", "0.5"}});
    ASSERT_TRUE(model.ok());
    const std::string path =
        (std::filesystem::path(::testing::TempDir()) / (std::string("nb_") + variant + ".kiln"))
            .string();
    ASSERT_TRUE(ml::SaveModel(**model, path).ok());
    auto loaded = ml::LoadModel(path, registry);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ(PredictOn(**loaded, train).scores, PredictOn(**model, train).scores);
    EXPECT_EQ((*loaded)->Describe(), (*model)->Describe());
  }
}

}  // namespace
}  // namespace kiln::algorithms
