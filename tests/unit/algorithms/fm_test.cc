// fm: interactions a linear model cannot learn, regression, the solvers, sparse rows, batches on
// any thread count, the row predictor, saving, one_vs_rest over it, and the errors users meet.
#include <cmath>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kiln/ml/evaluation.h"
#include "kiln/ml/model_io.h"
#include "linear_test_util.h"
#include "row_predictor_test_util.h"

namespace kiln::algorithms {
namespace {

using ::testing::HasSubstr;
using testing::MakeRegistry;
using testing::Train;

// Two categorical columns a, b in {p, q} and a third c in {r, s} that carries nothing; label
// yes exactly when a != b (XOR: no linear model over one-hot features separates it).
data::Dataset Xor(size_t n, uint64_t seed) {
  core::Rng rng(seed);
  std::vector<int32_t> a(n), b(n), c(n), y(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = static_cast<int32_t>(rng.UniformInt(2));
    b[i] = static_cast<int32_t>(rng.UniformInt(2));
    c[i] = static_cast<int32_t>(rng.UniformInt(2));
    y[i] = a[i] != b[i] ? 1 : 0;
  }
  return data::Dataset::Dense(
      {data::Column::Categorical("a", a, {"p", "q"}), data::Column::Categorical("b", b, {"p", "q"}),
       data::Column::Categorical("c", c, {"r", "s"})},
      data::Column::Categorical("label", y, {"no", "yes"}));
}

double Metric(const ml::Model& model, const data::Dataset& ds, const char* name) {
  core::Context ctx(core::ContextOptions{.threads = 2});
  auto p = model.Predict(data::DatasetView(ds), ctx);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  auto ev = ml::Evaluate(model.info().label, data::DatasetView(ds), *p);
  EXPECT_TRUE(ev.ok()) << ev.status().ToString();
  return ev->Get(name);
}

TEST(FmTest, LearnsAnInteractionALinearModelCannot) {
  const data::Dataset train = Xor(4000, 1);
  const data::Dataset test = Xor(1000, 2);
  for (const char* solver : {"adagrad", "ftrl", "sgd"}) {
    SCOPED_TRACE(solver);
    auto fm = Train("fm", train, {{"solver", solver}, {"factors", "4"}, {"init_std", "0.1"}});
    ASSERT_TRUE(fm.ok()) << fm.status().ToString();
    EXPECT_GT(Metric(**fm, test, "accuracy"), 0.99);
  }
  auto linear = Train("fm", train, {{"factors", "0"}});
  ASSERT_TRUE(linear.ok()) << linear.status().ToString();
  EXPECT_LT(Metric(**linear, test, "auc"), 0.6);
}

TEST(FmTest, RegressionOfAProduct) {
  core::Rng rng(3);
  const size_t n = 3000;
  std::vector<float> x1(n), x2(n), y(n);
  for (size_t i = 0; i < n; ++i) {
    x1[i] = static_cast<float>(rng.Normal());
    x2[i] = static_cast<float>(rng.Normal());
    y[i] = static_cast<float>(1 + 2 * x1[i] * x2[i] + 0.05 * rng.Normal());
  }
  const data::Dataset ds =
      data::Dataset::Dense({data::Column::Numeric("x1", x1), data::Column::Numeric("x2", x2)},
                           data::Column::Numeric("y", y));
  auto fm = Train("fm", ds, {{"factors", "2"}, {"init_std", "0.1"}, {"epochs", "30"}});
  ASSERT_TRUE(fm.ok()) << fm.status().ToString();
  EXPECT_EQ((*fm)->info().label.task, ml::Task::kRegression);
  EXPECT_GT(Metric(**fm, ds, "r2"), 0.95);
  EXPECT_NEAR((*fm)->Describe()["bias"].get<double>(), 1.0, 0.1);
}

TEST(FmTest, SparseRowsLearnToo) {
  // The XOR data as LibSVM-style rows: feature 0 = a is q, 1 = b is q.
  const data::Dataset dense = Xor(3000, 4);
  std::vector<uint64_t> indptr{0};
  std::vector<uint32_t> idx;
  std::vector<float> val;
  for (size_t i = 0; i < dense.num_rows(); ++i) {
    for (uint32_t j = 0; j < 2; ++j) {
      if (dense.columns()[j].codes[i] == 1) {
        idx.push_back(j);
        val.push_back(1);
      }
    }
    indptr.push_back(idx.size());
  }
  data::CsrMatrix m;
  m.indptr = core::Array<uint64_t>(indptr);
  m.indices = core::Array<uint32_t>(idx);
  m.values = core::Array<float>(val);
  m.num_cols = 2;
  const data::Dataset sparse = data::Dataset::Sparse(m, *dense.label());
  auto fm = Train("fm", sparse, {{"factors", "4"}, {"init_std", "0.1"}});
  ASSERT_TRUE(fm.ok()) << fm.status().ToString();
  EXPECT_GT(Metric(**fm, sparse, "accuracy"), 0.99);
}

TEST(FmTest, MiniBatchesGiveTheSameModelOnAnyThreadCount) {
  const data::Dataset train = Xor(6000, 5);  // above 2,000 rows: batches of several rows
  std::vector<nlohmann::json> seen;
  for (int threads : {1, 2, 3}) {
    auto fm = Train("fm", train, {{"epochs", "2"}}, threads);
    ASSERT_TRUE(fm.ok()) << fm.status().ToString();
    seen.push_back((*fm)->Describe());
  }
  EXPECT_EQ(seen[0], seen[1]);
  EXPECT_EQ(seen[0], seen[2]);
  // A given batch size is used (and changes the model).
  auto batched = Train("fm", train, {{"epochs", "2"}, {"batch_size", "64"}});
  ASSERT_TRUE(batched.ok());
  EXPECT_NE((*batched)->Describe(), seen[0]);
}

TEST(FmTest, RowPredictorMatchesPredict) {
  const data::Dataset base = testing::Classification(400, 2, 6);
  auto fm = Train("fm", testing::WithGaps(base, false, false), {{"init_std", "0.1"}});
  ASSERT_TRUE(fm.ok()) << fm.status().ToString();
  testing::ExpectRowsMatchPredict(**fm, testing::WithGaps(base, false, true));
}

TEST(FmTest, SavedModelsPredictTheSame) {
  const data::Dataset ds = Xor(500, 7);
  auto fm = Train("fm", ds, {{"factors", "3"}});
  ASSERT_TRUE(fm.ok());
  const std::string path = (std::filesystem::path(::testing::TempDir()) / "fm.kiln").string();
  ASSERT_TRUE(ml::SaveModel(**fm, path).ok());
  auto loaded = ml::LoadModel(path, MakeRegistry());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  core::Context ctx;
  EXPECT_EQ((*loaded)->Predict(data::DatasetView(ds), ctx)->scores,
            (*fm)->Predict(data::DatasetView(ds), ctx)->scores);
  EXPECT_EQ((*loaded)->Describe(), (*fm)->Describe());
}

TEST(FmTest, MulticlassGoesThroughOneVsRest) {
  const data::Dataset three = testing::Classification(600, 3, 8);
  auto direct = Train("fm", three, {});
  ASSERT_FALSE(direct.ok());
  EXPECT_THAT(direct.status().message(), HasSubstr("one_vs_rest"));
  auto ovr = Train("one_vs_rest", three, {{"base", "fm"}, {"base_params", "factors=2;epochs=5"}});
  ASSERT_TRUE(ovr.ok()) << ovr.status().ToString();
  EXPECT_GT(Metric(**ovr, three, "accuracy"), 0.6);
}

TEST(FmTest, BadParametersAreClearErrors) {
  const data::Dataset ds = Xor(100, 9);
  auto l1 = Train("fm", ds, {{"l1", "0.1"}});
  ASSERT_FALSE(l1.ok());
  EXPECT_THAT(l1.status().message(), HasSubstr("solver=ftrl"));
  EXPECT_TRUE(Train("fm", ds, {{"l1", "0.1"}, {"solver", "ftrl"}}).ok());
  for (auto [key, value] : std::vector<std::pair<const char*, const char*>>{
           {"factors", "-1"}, {"solver", "als"}, {"init_std", "-1"}, {"objective", "poisson"}}) {
    auto bad = Train("fm", ds, {{key, value}});
    ASSERT_FALSE(bad.ok()) << key;
    EXPECT_EQ(bad.status().code(), core::StatusCode::kInvalidArgument) << key;
  }
  // A text label with regression asked for.
  auto text = Train("fm", ds, {{"objective", "regression"}});
  ASSERT_FALSE(text.ok());
  EXPECT_THAT(text.status().message(), HasSubstr("numeric target"));
}

}  // namespace
}  // namespace kiln::algorithms
