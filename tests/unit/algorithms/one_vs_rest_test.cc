// one_vs_rest: its parts are the base algorithm trained on "class k or not", its probabilities the
// parts' normalised; base_params in both spellings and its errors; non-probabilistic bases; two
// classes; saving; the row predictor; the same model for any thread count.
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

using testing::Classification;
using ::testing::HasSubstr;
using testing::MakeRegistry;
using testing::PredictOn;
using testing::Train;

// The dataset with label "1" for class `k` and "0" for the others.
data::Dataset OneAgainstRest(const data::Dataset& ds, int32_t k) {
  std::vector<int32_t> y(ds.num_rows());
  for (size_t i = 0; i < y.size(); ++i) y[i] = ds.label()->codes[i] == k ? 1 : 0;
  return data::Dataset::Dense(ds.columns(), data::Column::Categorical("label", y, {"0", "1"}));
}

TEST(OneVsRestTest, PartsAreTheBaseOnEachClassAndProbabilitiesNormalised) {
  const data::Dataset train = Classification(500, 3, 1);
  const data::Dataset test = Classification(200, 3, 2);
  auto ovr = Train("one_vs_rest", train, {{"base_params", "l2=0.01"}});
  ASSERT_TRUE(ovr.ok()) << ovr.status().ToString();
  const ml::Predictions p = PredictOn(**ovr, test);
  ASSERT_EQ(p.width(), 3u);
  EXPECT_TRUE(p.probabilistic);
  // Class k's part is logistic_regression trained on k against the rest.
  std::vector<ml::Predictions> parts;
  const std::vector<std::string>& classes = (*ovr)->info().label.classes;
  for (int32_t k = 0; k < 3; ++k) {
    // The class index in the training label's categories (names differ from sorted order).
    const auto& cats = train.label()->categories;
    const auto code = static_cast<int32_t>(
        std::find(cats.begin(), cats.end(), classes[static_cast<size_t>(k)]) - cats.begin());
    auto lr = Train("logistic_regression", OneAgainstRest(train, code), {{"l2", "0.01"}});
    ASSERT_TRUE(lr.ok()) << lr.status().ToString();
    parts.push_back(PredictOn(**lr, test));
  }
  for (size_t i = 0; i < p.rows; ++i) {
    double total = 0;
    for (size_t k = 0; k < 3; ++k) total += parts[k].scores[i];
    size_t best = 0;
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_NEAR(p.score(i, k), parts[k].scores[i] / total, 1e-12) << i;
      if (parts[k].scores[i] > parts[best].scores[i]) best = k;
    }
    EXPECT_EQ(p.classes[i], static_cast<int32_t>(best)) << i;
  }
}

TEST(OneVsRestTest, BaseParamsInBothSpellings) {
  const data::Dataset train = Classification(300, 3, 3);
  auto text = Train("one_vs_rest", train, {{"base_params", "l2=0.5; max_iter=50"}});
  auto json = Train("one_vs_rest", train, {{"base_params", R"({"l2": 0.5, "max_iter": 50})"}});
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ((*text)->Describe(), (*json)->Describe());
  EXPECT_EQ((*text)->Describe()["parts"][0]["model"], (*json)->Describe()["parts"][0]["model"]);

  auto unknown = Train("one_vs_rest", train, {{"base_params", "l3=1"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().ToString(), HasSubstr("l3"));
  EXPECT_THAT(unknown.status().ToString(), HasSubstr("base_params"));
  EXPECT_THAT(unknown.status().ToString(), HasSubstr("logistic_regression"));
  auto bad_value = Train("one_vs_rest", train, {{"base_params", "l2=-1"}});
  ASSERT_FALSE(bad_value.ok());
  EXPECT_THAT(bad_value.status().ToString(), HasSubstr("l2"));
  auto bad_json = Train("one_vs_rest", train, {{"base_params", "{l2: 1"}});
  ASSERT_FALSE(bad_json.ok());
  EXPECT_THAT(bad_json.status().message(), HasSubstr("not a JSON object"));
  auto no_equals = Train("one_vs_rest", train, {{"base_params", "l2"}});
  ASSERT_FALSE(no_equals.ok());
  auto bad_base = Train("one_vs_rest", train, {{"base", "kmeans"}});
  ASSERT_FALSE(bad_base.ok());  // not a binary classifier
  EXPECT_THAT(bad_base.status().message(), HasSubstr("base"));
}

TEST(OneVsRestTest, NonProbabilisticBaseGivesDecisionValues) {
  const data::Dataset train = Classification(300, 3, 4);
  auto ovr = Train("one_vs_rest", train, {{"base", "linear_svm"}});
  ASSERT_TRUE(ovr.ok()) << ovr.status().ToString();
  const ml::Predictions p = PredictOn(**ovr, train);
  EXPECT_FALSE(p.probabilistic);
  auto ev = ml::Evaluate((*ovr)->info().label, data::DatasetView(train), p);
  ASSERT_TRUE(ev.ok());
  EXPECT_GT(ev->Get("accuracy"), 0.7);
}

TEST(OneVsRestTest, BaseErrorsNameTheClass) {
  // Multinomial naive Bayes refuses the negative values of column a.
  auto r = Train("one_vs_rest", Classification(100, 3, 5),
                 {{"base", "naive_bayes"}, {"base_params", "variant=multinomial"}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("while training naive_bayes for class"));
}

TEST(OneVsRestTest, TwoClassesTrainOneModel) {
  const data::Dataset train = Classification(300, 2, 6);
  auto ovr = Train("one_vs_rest", train, {});
  auto lr = Train("logistic_regression", train, {});
  ASSERT_TRUE(ovr.ok() && lr.ok());
  EXPECT_EQ((*ovr)->info().label.task, ml::Task::kBinary);
  EXPECT_EQ((*ovr)->Describe()["parts"].size(), 1u);
  EXPECT_EQ(PredictOn(**ovr, train).scores, PredictOn(**lr, train).scores);
}

TEST(OneVsRestTest, SavedInOneFile) {
  const data::Dataset train = Classification(300, 3, 7);
  for (const char* base : {"logistic_regression", "naive_bayes", "fm"}) {
    SCOPED_TRACE(base);
    auto ovr = Train("one_vs_rest", train, {{"base", base}});
    ASSERT_TRUE(ovr.ok()) << ovr.status().ToString();
    const std::string path =
        (std::filesystem::path(::testing::TempDir()) / (std::string("ovr_") + base + ".kiln"))
            .string();
    ASSERT_TRUE(ml::SaveModel(**ovr, path).ok());
    auto loaded = ml::LoadModel(path, MakeRegistry());
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ(PredictOn(**loaded, train).scores, PredictOn(**ovr, train).scores);
    EXPECT_EQ((*loaded)->Describe(), (*ovr)->Describe());
  }
}

TEST(OneVsRestTest, RowPredictorMatchesPredict) {
  const data::Dataset base = Classification(300, 3, 8);
  auto ovr = Train("one_vs_rest", testing::WithGaps(base, false, false), {});
  ASSERT_TRUE(ovr.ok()) << ovr.status().ToString();
  testing::ExpectRowsMatchPredict(**ovr, testing::WithGaps(base, false, true));
}

TEST(OneVsRestTest, SameModelForAnyThreadCount) {
  // 1 thread: one after another; 2 and 3 threads: side by side (3 classes); 4: one after another
  // on 4 threads each.
  const data::Dataset train = Classification(3000, 3, 9);
  std::vector<nlohmann::json> seen;
  for (int threads : {1, 2, 3, 4}) {
    auto ovr = Train("one_vs_rest", train, {{"base", "fm"}, {"base_params", "epochs=2"}}, threads);
    ASSERT_TRUE(ovr.ok()) << ovr.status().ToString();
    seen.push_back((*ovr)->Describe());
  }
  for (size_t t = 1; t < seen.size(); ++t) EXPECT_EQ(seen[t], seen[0]) << t;
}

}  // namespace
}  // namespace kiln::algorithms
