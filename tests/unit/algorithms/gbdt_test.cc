// Behaviour of gbdt through the registry: objectives, missing values, categorical columns,
// growth limits, monotone constraints, early stopping, warm start, importance, row scoring and
// bad parameters.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <string_view>
#include <type_traits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gbdt_test_util.h"
#include "kiln/ml/model_io.h"
#include "model_file_rewrite.h"

namespace kiln::algorithms {
namespace {

using testing::Classes;
using ::testing::HasSubstr;
using testing::Metric;
using testing::Params;
using testing::PredictAll;
using testing::Regression;
using testing::TrainGbdt;

std::string TempPath(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) / name).string();
}

ml::AlgorithmRegistry Registry() {
  ml::AlgorithmRegistry registry("algorithm");
  EXPECT_TRUE(RegisterBuiltinAlgorithms(registry).ok());
  return registry;
}

data::Dataset OneColumn(std::vector<float> x, std::vector<float> y) {
  return data::Dataset::Dense({data::Column::Numeric("x", std::move(x))},
                              data::Column::Numeric("y", std::move(y)));
}

TEST(GbdtTest, RegressionFitsANonlinearTarget) {
  const data::Dataset train = Regression(3000, 1), test = Regression(1000, 2);
  auto model = TrainGbdt(train, {{"num_trees", "200"}});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->info().label.task, ml::Task::kRegression);
  EXPECT_GT(Metric(**model, test, "r2"), 0.97);
}

TEST(GbdtTest, BinaryAndMulticlass) {
  for (int classes : {2, 3}) {
    SCOPED_TRACE(classes);
    const data::Dataset train = Classes(3000, classes, 3), test = Classes(1000, classes, 4);
    auto model = TrainGbdt(train, {});
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    const ml::Predictions p = PredictAll(**model, test);
    ASSERT_EQ(p.rows, 1000u);
    ASSERT_EQ(p.width(), classes == 2 ? 1u : 3u);
    if (classes == 3) {
      for (size_t i = 0; i < p.rows; ++i) {
        EXPECT_NEAR(p.score(i, 0) + p.score(i, 1) + p.score(i, 2), 1.0, 1e-12);
      }
      EXPECT_EQ((*model)->Describe()["trees"], 300);
    } else {
      EXPECT_GT(Metric(**model, test, "auc"), 0.95);
    }
    EXPECT_GT(Metric(**model, test, "accuracy"), classes == 2 ? 0.85 : 0.8);
  }
}

TEST(GbdtTest, AutoObjectiveReadsZeroOneLabelsAsBinary) {
  const data::Dataset base = Classes(500, 2, 5);
  auto y = base.label()->codes.ToVector();
  std::vector<float> numeric(y.begin(), y.end());
  const data::Dataset ds =
      data::Dataset::Dense(base.columns(), data::Column::Numeric("label", numeric));
  auto model = TrainGbdt(ds, {{"num_trees", "5"}});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->info().label.task, ml::Task::kBinary);
  EXPECT_EQ((*model)->Describe()["objective"], "logloss");
}

TEST(GbdtTest, MissingValuesLearnADefaultDirection) {
  // x < 0 -> 1, x >= 0 -> 5, missing -> 10 (only a learned direction plus a split can fit it).
  core::Rng rng(1);
  std::vector<float> x(600), y(600);
  for (size_t i = 0; i < x.size(); ++i) {
    if (i % 3 == 0) {
      x[i] = NAN;
      y[i] = 10;
    } else {
      x[i] = static_cast<float>(rng.Uniform() * 2 - 1);
      y[i] = x[i] < 0 ? 1.0f : 5.0f;
    }
  }
  auto model = TrainGbdt(OneColumn(x, y), {{"num_trees", "100"}, {"learning_rate", "0.3"}});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const ml::Predictions p = PredictAll(**model, OneColumn({NAN, -0.5f, 0.5f}, {0, 0, 0}));
  EXPECT_NEAR(p.score(0), 10, 0.05);
  EXPECT_NEAR(p.score(1), 1, 0.05);
  EXPECT_NEAR(p.score(2), 5, 0.05);
}

TEST(GbdtTest, CategoricalSplitsGroupUnorderedCategories) {
  // Eight categories in no useful order; the odd ones score 2. One sorted-gradient split
  // separates them exactly.
  core::Rng rng(5);
  std::vector<int32_t> c(800);
  std::vector<float> noise(800), y(800);
  for (size_t i = 0; i < c.size(); ++i) {
    c[i] = static_cast<int32_t>(rng.UniformInt(8));
    noise[i] = static_cast<float>(rng.Normal());
    y[i] = c[i] % 2 == 1 ? 2.0f : 0.0f;
  }
  const std::vector<std::string> names{"a", "b", "c", "d", "e", "f", "g", "h"};
  const data::Dataset train = data::Dataset::Dense(
      {data::Column::Numeric("noise", noise), data::Column::Categorical("c", c, names)},
      data::Column::Numeric("y", y));
  auto model = TrainGbdt(train, {{"num_trees", "1"},
                                 {"max_depth", "1"},
                                 {"learning_rate", "1"},
                                 {"l2", "0"},
                                 {"cat_l2", "0"},
                                 {"cat_smooth", "0"}});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const nlohmann::json d = (*model)->Describe();
  ASSERT_EQ(d["feature_importance"].size(), 1u) << d.dump();
  EXPECT_EQ(d["feature_importance"][0]["feature"], "c");
  // Every category in a test file (in another dictionary order) gets its group's value (up to
  // the float rounding of gradients); one
  // the model never saw follows the default direction instead of failing.
  const data::Dataset test = data::Dataset::Dense(
      {data::Column::Numeric("noise", {0, 0, 0, 0, 0}),
       data::Column::Categorical("c", {0, 1, 2, 3, 4}, {"h", "a", "d", "e", "never-seen"})});
  const ml::Predictions p = PredictAll(**model, test);
  ASSERT_EQ(p.rows, 5u);
  EXPECT_NEAR(p.score(0), 2, 1e-6);
  EXPECT_NEAR(p.score(1), 0, 1e-6);
  EXPECT_NEAR(p.score(2), 2, 1e-6);
  EXPECT_NEAR(p.score(3), 0, 1e-6);
  EXPECT_TRUE(p.score(4) == p.score(0) || p.score(4) == p.score(1)) << p.score(4);
}

TEST(GbdtTest, CategoriesAreMatchedByTextNotCode) {
  const data::Dataset train = Regression(2000, 7);
  auto model = TrainGbdt(train, {{"num_trees", "50"}});
  ASSERT_TRUE(model.ok());
  // The same rows with the category dictionary reversed (codes differ, texts agree).
  const data::Column& c = train.columns()[2];
  std::vector<std::string> reversed(c.categories.rbegin(), c.categories.rend());
  std::vector<int32_t> codes(c.codes.size());
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = 7 - c.codes[i];
  data::Dataset recoded = data::Dataset::Dense(
      {train.columns()[0], train.columns()[1], data::Column::Categorical("c", codes, reversed)});
  EXPECT_EQ(PredictAll(**model, recoded).scores, PredictAll(**model, train).scores);
}

TEST(GbdtTest, DepthAndLeafLimits) {
  const data::Dataset train = Regression(2000, 8);
  auto stumps = TrainGbdt(train, {{"num_trees", "10"}, {"max_depth", "1"}});
  ASSERT_TRUE(stumps.ok());
  EXPECT_EQ((*stumps)->Describe()["nodes"], 30);
  auto leafwise = TrainGbdt(
      train,
      {{"num_trees", "10"}, {"growth", "leafwise"}, {"max_leaves", "5"}, {"max_depth", "0"}});
  ASSERT_TRUE(leafwise.ok()) << leafwise.status().ToString();
  EXPECT_EQ((*leafwise)->Describe()["leaves"], 50);
  auto depthwise = TrainGbdt(train, {{"num_trees", "10"}, {"max_leaves", "5"}});
  ASSERT_TRUE(depthwise.ok());
  EXPECT_LE((*depthwise)->Describe()["leaves"].get<int>(), 50);
  // Leaf-wise growth reaches a better fit than depth-wise with the same leaf budget.
  const data::Dataset test = Regression(1000, 9);
  auto lw = TrainGbdt(train, {{"growth", "leafwise"}, {"max_leaves", "8"}, {"max_depth", "0"}});
  ASSERT_TRUE(lw.ok());
  EXPECT_GT(Metric(**lw, test, "r2"), 0.95);
}

TEST(GbdtTest, MonotoneConstraintsHold) {
  // y = x + 2 sin(4x) + noise is not monotone; constrained fits must be.
  core::Rng rng(2);
  const size_t n = 2000;
  std::vector<float> x(n), z(n), y(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(rng.Uniform() * 4);
    z[i] = static_cast<float>(rng.Normal());
    y[i] = static_cast<float>(x[i] + 2 * std::sin(4 * x[i]) + z[i] + 0.3 * rng.Normal());
  }
  const data::Dataset train =
      data::Dataset::Dense({data::Column::Numeric("x", x), data::Column::Numeric("z", z)},
                           data::Column::Numeric("y", y));
  std::vector<float> grid_x, grid_z;
  for (int i = 0; i <= 200; ++i) {
    for (float zz : {-1.0f, 0.0f, 1.5f}) {
      grid_x.push_back(static_cast<float>(i) / 50);
      grid_z.push_back(zz);
    }
  }
  const data::Dataset grid = data::Dataset::Dense(
      {data::Column::Numeric("x", grid_x), data::Column::Numeric("z", grid_z)});
  for (const char* spec : {"x:1", "x:-1", "(1,0)"}) {
    SCOPED_TRACE(spec);
    for (const char* growth : {"depthwise", "leafwise"}) {
      auto model = TrainGbdt(train, {{"monotone_constraints", spec}, {"growth", growth}});
      ASSERT_TRUE(model.ok()) << model.status().ToString();
      const ml::Predictions p = PredictAll(**model, grid);
      const double sign = std::string_view(spec) == "x:-1" ? -1 : 1;
      for (size_t i = 3; i < p.rows; ++i) {
        EXPECT_GE(sign * (p.score(i) - p.score(i - 3)), -1e-12) << growth << " at " << i;
      }
    }
  }
  auto free = TrainGbdt(train, {});
  ASSERT_TRUE(free.ok());
  const ml::Predictions p = PredictAll(**free, grid);
  bool decreases = false;
  for (size_t i = 3; i < p.rows; ++i) decreases = decreases || p.score(i) < p.score(i - 3) - 0.1;
  EXPECT_TRUE(decreases) << "the unconstrained fit should follow the sine";
}

TEST(GbdtTest, EarlyStoppingKeepsTheBestRound) {
  const data::Dataset train = Classes(400, 2, 10), valid = Classes(400, 2, 11);
  auto model = TrainGbdt(
      train, {{"num_trees", "2000"}, {"learning_rate", "0.3"}, {"early_stopping_rounds", "10"}}, 1,
      &valid);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const nlohmann::json& extra = (*model)->info().training.extra;
  ASSERT_TRUE(extra.contains("best_round")) << extra.dump();
  EXPECT_TRUE(extra["stopped_early"].get<bool>());
  const int best = extra["best_round"];
  EXPECT_LT(best, 2000);
  EXPECT_EQ(extra["rounds_run"].get<int>(), best + 10);
  EXPECT_EQ((*model)->Describe()["trees"], best);
  // The kept model's validation loss is the recorded best.
  EXPECT_NEAR(Metric(**model, valid, "logloss"), extra["best_valid_loss"].get<double>(), 1e-9);
}

TEST(GbdtTest, WarmStartContinuesLikeOneLongRun) {
  const data::Dataset train = Regression(1500, 12), test = Regression(500, 13);
  auto first = TrainGbdt(train, {{"num_trees", "10"}});
  ASSERT_TRUE(first.ok());
  const std::string path = TempPath("gbdt_warm_first.kiln");
  ASSERT_TRUE(ml::SaveModel(**first, path).ok());
  auto more = TrainGbdt(train, {{"num_trees", "15"}, {"init_model", path}});
  ASSERT_TRUE(more.ok()) << more.status().ToString();
  EXPECT_EQ((*more)->Describe()["trees"], 25);
  EXPECT_EQ((*more)->info().training.extra["init_trees"], 10);
  auto whole = TrainGbdt(train, {{"num_trees", "25"}});
  ASSERT_TRUE(whole.ok());
  const ml::Predictions a = PredictAll(**more, test), b = PredictAll(**whole, test);
  ASSERT_EQ(a.rows, b.rows);
  for (size_t i = 0; i < a.rows; ++i) EXPECT_NEAR(a.score(i), b.score(i), 1e-9) << i;

  // Classification keeps the init model's classes; other columns are an error.
  const data::Dataset cls = Classes(300, 3, 14);
  auto c1 = TrainGbdt(cls, {{"num_trees", "3"}});
  ASSERT_TRUE(c1.ok());
  const std::string cpath = TempPath("gbdt_warm_cls.kiln");
  ASSERT_TRUE(ml::SaveModel(**c1, cpath).ok());
  auto c2 = TrainGbdt(cls, {{"num_trees", "2"}, {"init_model", cpath}});
  ASSERT_TRUE(c2.ok()) << c2.status().ToString();
  EXPECT_EQ((*c2)->Describe()["trees"], 15);
  auto wrong = TrainGbdt(train, {{"init_model", cpath}});
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("init_model"));
  auto objective = TrainGbdt(train, {{"init_model", path}, {"objective", "huber"}});
  ASSERT_FALSE(objective.ok());
  EXPECT_THAT(objective.status().message(), HasSubstr("squared_error"));
  auto nofile = TrainGbdt(train, {{"init_model", TempPath("no_such_model.kiln")}});
  ASSERT_FALSE(nofile.ok());
  EXPECT_THAT(nofile.status().ToString(), HasSubstr("no_such_model.kiln"));
}

TEST(GbdtTest, FeatureImportanceRanksTheInformativeColumn) {
  core::Rng rng(3);
  std::vector<float> signal(1000), noise(1000), y(1000);
  for (size_t i = 0; i < y.size(); ++i) {
    signal[i] = static_cast<float>(rng.Normal());
    noise[i] = static_cast<float>(rng.Normal());
    y[i] = static_cast<float>(3 * signal[i] + 0.1 * rng.Normal());
  }
  const data::Dataset ds = data::Dataset::Dense(
      {data::Column::Numeric("noise", noise), data::Column::Numeric("signal", signal)},
      data::Column::Numeric("y", y));
  auto model = TrainGbdt(ds, {{"num_trees", "20"}});
  ASSERT_TRUE(model.ok());
  const nlohmann::json imp = (*model)->Describe()["feature_importance"];
  ASSERT_GE(imp.size(), 1u);
  EXPECT_EQ(imp[0]["feature"], "signal");
  EXPECT_GT(imp[0]["gain_share"].get<double>(), 0.9);
  EXPECT_GT(imp[0]["splits"].get<int>(), 20);
}

TEST(GbdtTest, HuberAndQuantileObjectives) {
  core::Rng rng(4);
  const size_t n = 4000;
  std::vector<float> x(n), y(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(rng.Uniform() * 4);
    y[i] = static_cast<float>(x[i] + rng.Normal());
    if (i % 50 == 0) y[i] += 200;  // outliers
  }
  const data::Dataset train = OneColumn(x, y);
  std::vector<float> clean_y(n);
  for (size_t i = 0; i < n; ++i) clean_y[i] = x[i];
  const data::Dataset truth = OneColumn(x, clean_y);
  auto huber = TrainGbdt(train, {{"objective", "huber"}, {"huber_delta", "1"}});
  auto squared = TrainGbdt(train, {{"objective", "squared_error"}});
  ASSERT_TRUE(huber.ok() && squared.ok()) << huber.status().ToString();
  EXPECT_LT(Metric(**huber, truth, "mae"), 0.5 * Metric(**squared, truth, "mae"));

  auto q90 = TrainGbdt(train, {{"objective", "quantile"}, {"quantile_alpha", "0.9"}});
  ASSERT_TRUE(q90.ok()) << q90.status().ToString();
  const ml::Predictions p = PredictAll(**q90, train);
  size_t below = 0;
  for (size_t i = 0; i < n; ++i) below += y[i] <= p.score(i);
  const double coverage = static_cast<double>(below) / static_cast<double>(n);
  EXPECT_GT(coverage, 0.85);
  EXPECT_LT(coverage, 0.95);
}

TEST(GbdtTest, SampleWeightsActLikeDuplicates) {
  // Few enough rows that every distinct value has its own bin (bins ignore weights).
  const data::Dataset base = Regression(200, 15);
  std::vector<float> w(200, 1.0f);
  w[7] = 2.0f;
  const data::Dataset weighted =
      data::Dataset::Dense(base.columns(), *base.label(), core::Array<float>(w));
  std::vector<data::Column> cols;
  for (const auto& c : base.columns()) {
    if (c.type == data::ColumnType::kNumeric) {
      auto v = c.values.ToVector();
      v.push_back(v[7]);
      cols.push_back(data::Column::Numeric(c.name, v));
    } else {
      auto v = c.codes.ToVector();
      v.push_back(v[7]);
      cols.push_back(data::Column::Categorical(c.name, v, c.categories));
    }
  }
  auto y = base.label()->values.ToVector();
  y.push_back(y[7]);
  const data::Dataset dup = data::Dataset::Dense(cols, data::Column::Numeric("y", y));
  auto a = TrainGbdt(weighted, {{"num_trees", "20"}});
  auto b = TrainGbdt(dup, {{"num_trees", "20"}});
  ASSERT_TRUE(a.ok() && b.ok());
  const ml::Predictions pa = PredictAll(**a, base), pb = PredictAll(**b, base);
  for (size_t i = 0; i < pa.rows; ++i) EXPECT_NEAR(pa.score(i), pb.score(i), 1e-6) << i;
}

TEST(GbdtTest, SubsamplingIsDeterministicForAnyThreadCount) {
  const data::Dataset train = Classes(3000, 3, 16), test = Classes(500, 3, 17);
  const Params p = {{"subsample", "0.7"},
                    {"colsample", "0.7"},
                    {"colsample_bynode", "0.6"},
                    {"num_trees", "20"},
                    {"growth", "leafwise"}};
  auto one = TrainGbdt(train, p, 1), two = TrainGbdt(train, p, 2), three = TrainGbdt(train, p, 3);
  ASSERT_TRUE(one.ok() && two.ok() && three.ok()) << one.status().ToString();
  const auto s1 = PredictAll(**one, test).scores;
  EXPECT_EQ(PredictAll(**two, test).scores, s1);
  EXPECT_EQ(PredictAll(**three, test).scores, s1);
  auto other_seed = TrainGbdt(train, p, 1, nullptr, 8);
  ASSERT_TRUE(other_seed.ok());
  EXPECT_NE(PredictAll(**other_seed, test).scores, s1);
}

TEST(GbdtTest, RowPredictorMatchesPredictBitForBit) {
  for (int classes : {0, 2, 3}) {
    SCOPED_TRACE(classes);
    const data::Dataset train = classes == 0 ? Regression(1000, 18) : Classes(1000, classes, 18);
    const data::Dataset test = classes == 0 ? Regression(300, 19) : Classes(300, classes, 19);
    auto model = TrainGbdt(train, {{"num_trees", "30"}});
    ASSERT_TRUE(model.ok());
    auto rp = (*model)->MakeRowPredictor();
    ASSERT_NE(rp, nullptr);
    const ml::Predictions p = PredictAll(**model, test);
    ASSERT_EQ(rp->width(), p.width());
    const auto& fields = (*model)->info().schema.fields;
    std::vector<double> numbers(fields.size());
    std::vector<std::string_view> texts(fields.size());
    std::vector<double> scores(rp->width());
    for (size_t i = 0; i < test.num_rows(); ++i) {
      for (size_t k = 0; k < fields.size(); ++k) {
        const data::Column& col =
            test.columns()[static_cast<size_t>(test.FindColumn(fields[k].name))];
        if (col.type == data::ColumnType::kNumeric) {
          numbers[k] = col.values[i];
        } else {
          texts[k] = col.codes[i] < 0
                         ? std::string_view()
                         : std::string_view(col.categories[static_cast<size_t>(col.codes[i])]);
        }
      }
      const int32_t cls = rp->Predict(numbers, texts, scores);
      for (size_t k = 0; k < scores.size(); ++k) EXPECT_EQ(scores[k], p.score(i, k)) << i;
      if (classes > 0) {
        EXPECT_EQ(cls, p.classes[i]);
      }
    }
  }
}

TEST(GbdtTest, BadParametersAreClearErrors) {
  const ml::AlgorithmRegistry registry = Registry();
  const ml::AlgorithmEntry* gbdt = registry.Find("gbdt");
  ASSERT_NE(gbdt, nullptr);
  for (const auto& [key, value, expect] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"learning_rate", "0", "learning_rate"},
           {"eta", "2", "learning_rate"},
           {"subsample", "1.5", "subsample"},
           {"num_trees", "0", "num_trees"},
           {"objective", "poisson", "objective"},
           {"growth", "lossguide", "growth"},
           {"max_bins", "1", "max_bins"},
           {"l2", "-1", "l2"},
           {"quantile_alpha", "1", "quantile_alpha"}}) {
    auto r = gbdt->params.Resolve({{key, value}});
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_THAT(r.status().message(), HasSubstr(expect)) << r.status().message();
  }
  // Aliases resolve to the canonical names.
  auto aliased = gbdt->params.Resolve({{"n_estimators", "7"},
                                       {"eta", "0.2"},
                                       {"num_leaves", "9"},
                                       {"reg_lambda", "3"},
                                       {"reg_alpha", "0.5"},
                                       {"colsample_bytree", "0.8"},
                                       {"gamma", "0.1"}});
  ASSERT_TRUE(aliased.ok()) << aliased.status().ToString();
  EXPECT_EQ(aliased->GetInt("num_trees"), 7);
  EXPECT_EQ(aliased->GetDouble("learning_rate"), 0.2);
  EXPECT_EQ(aliased->GetInt("max_leaves"), 9);
  EXPECT_EQ(aliased->GetDouble("l2"), 3);
  EXPECT_EQ(aliased->GetDouble("l1"), 0.5);
  EXPECT_EQ(aliased->GetDouble("colsample"), 0.8);
  EXPECT_EQ(aliased->GetDouble("min_split_gain"), 0.1);

  const data::Dataset reg = Regression(200, 20);
  const data::Dataset three = Classes(200, 3, 21), two = Classes(200, 2, 21);
  struct Case {
    const data::Dataset* ds;
    Params params;
    std::string expect;
  };
  for (const Case& c : std::vector<Case>{
           {&reg, {{"monotone_constraints", "q:1"}}, "'q'"},
           {&reg, {{"monotone_constraints", "x:2"}}, "1, -1 or 0"},
           {&reg, {{"monotone_constraints", "1,0"}}, "2 values for 3 features"},
           {&reg, {{"monotone_constraints", "c:1"}}, "categorical"},
           {&reg, {{"early_stopping_rounds", "5"}}, "--valid"},
           {&reg, {{"objective", "quantile"}, {"monotone_constraints", "x:1"}}, "quantile"},
           {&reg, {{"objective", "logloss"}}, "label"},
           {&three, {{"objective", "logloss"}}, "softmax"},
           {&two, {{"objective", "softmax"}}, "logloss"},
           {&two, {{"objective", "squared_error"}}, "numeric"},
       }) {
    auto r = TrainGbdt(*c.ds, c.params);
    ASSERT_FALSE(r.ok()) << c.expect;
    EXPECT_THAT(r.status().message(), HasSubstr(c.expect)) << r.status().message();
  }
  // A model file that is not gbdt cannot seed a warm start.
  auto lr = testing::TrainGbdt(two, {{"num_trees", "2"}});
  ASSERT_TRUE(lr.ok());
  ml::AlgorithmRegistry reg_all = Registry();
  const ml::AlgorithmEntry* logistic = reg_all.Find("logistic_regression");
  auto est = logistic->factory.create(logistic->params.Defaults());
  ASSERT_TRUE(est.ok());
  core::Context ctx;
  auto linear = (*est)->Fit(ml::TrainInput{data::DatasetView(two), std::nullopt}, ctx);
  ASSERT_TRUE(linear.ok());
  const std::string path = TempPath("gbdt_not_gbdt.kiln");
  ASSERT_TRUE(ml::SaveModel(**linear, path).ok());
  auto warm = TrainGbdt(two, {{"init_model", path}});
  ASSERT_FALSE(warm.ok());
  EXPECT_THAT(warm.status().message(), HasSubstr("logistic_regression"));
}

// A model file rewritten with one array changed (the checksum is valid: only the loader's own
// checks stand between the file and the traversal).
TEST(GbdtTest, InconsistentTreesInAModelFileAreCorrupt) {
  const data::Dataset train = Regression(300, 23);
  auto model = TrainGbdt(train, {{"num_trees", "3"}});
  ASSERT_TRUE(model.ok());
  const std::string path = TempPath("gbdt_consistent.kiln");
  ASSERT_TRUE(ml::SaveModel(**model, path).ok());
  const ml::AlgorithmRegistry registry = Registry();
  ASSERT_TRUE(ml::LoadModel(path, registry).ok());
  const std::vector<std::string> bad = {
      RewriteModelArray<int32_t>(path, "node_left", [](auto& v) { v[0] = 0; }),  // a loop
      RewriteModelArray<int32_t>(path, "node_right", [](auto& v) { v[0] = 1 << 30; }),
      RewriteModelArray<int32_t>(path, "node_feature", [](auto& v) { v[0] = 99; }),
      RewriteModelArray<uint8_t>(path, "node_flags",
                                 [](auto& v) { v[0] ^= 2; }),  // numeric as categorical
      RewriteModelArray<uint32_t>(path, "node_cat_words", [](auto& v) { v[0] = 1000; }),
      RewriteModelArray<uint64_t>(path, "tree_begin", [](auto& v) { v.back() += 1; }),
      RewriteModelArray<double>(path, "node_value", [](auto& v) { v.pop_back(); }),
  };
  for (const std::string& p : bad) {
    auto r = ml::LoadModel(p, registry);
    ASSERT_FALSE(r.ok()) << p;
    EXPECT_EQ(r.status().code(), core::StatusCode::kCorrupt) << r.status().ToString();
  }
}

TEST(GbdtTest, TextInANumericColumnAtPredictTimeIsAnError) {
  const data::Dataset train = Regression(200, 22);
  auto model = TrainGbdt(train, {{"num_trees", "2"}});
  ASSERT_TRUE(model.ok());
  data::Dataset bad = data::Dataset::Dense({data::Column::Categorical("x", {0}, {"high"}),
                                            data::Column::Numeric("z", {0.0f}),
                                            data::Column::Categorical("c", {0}, {"a"})});
  core::Context ctx;
  auto p = (*model)->Predict(data::DatasetView(bad), ctx);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("'high'"));
}

}  // namespace
}  // namespace kiln::algorithms
