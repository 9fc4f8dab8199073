#include "kiln/ml/feature_encoder.h"

#include <cmath>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kiln/core/thread_pool.h"
#include "kiln/data/dataset.h"

namespace kiln::ml {
namespace {

using data::Column;
using data::Dataset;
using data::DatasetView;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

Dataset Table() {
  return Dataset::Dense({Column::Numeric("age", {20, 30, kNaN, 50}),
                         Column::Categorical("city", {0, 1, 0, -1}, {"Paris", "Berlin"}),
                         Column::Numeric("const", {7, 7, 7, 7})});
}

TEST(FeatureEncoderTest, StandardizesImputesAndOneHots) {
  Dataset ds = Table();
  auto enc = FeatureEncoder::Fit(DatasetView(ds), {});
  ASSERT_TRUE(enc.ok()) << enc.status().ToString();
  EXPECT_THAT(enc->FeatureNames(),
              ElementsAre("age", "age:missing", "city=Berlin", "city=Paris", "const"));
  core::ThreadPool pool(1);
  auto x = enc->Transform(DatasetView(ds), pool);
  ASSERT_TRUE(x.ok());
  ASSERT_FALSE(x->is_sparse());
  // age: mean 33.33, population std of {20, 30, 50}.
  const double mean = 100.0 / 3,
               sd = std::sqrt(((20 - mean) * (20 - mean) + (30 - mean) * (30 - mean) +
                               (50 - mean) * (50 - mean)) /
                              3);
  EXPECT_NEAR(x->at(0, 0), (20 - mean) / sd, 1e-6);
  EXPECT_NEAR(x->at(3, 0), (50 - mean) / sd, 1e-6);
  EXPECT_EQ(x->at(2, 0), 0.0f);  // imputed with the mean
  EXPECT_EQ(x->at(2, 1), 1.0f);  // missing indicator
  EXPECT_EQ(x->at(0, 1), 0.0f);
  // Categories sorted: Berlin, Paris. Missing city: all zeros.
  EXPECT_EQ(x->at(0, 3), 1.0f);
  EXPECT_EQ(x->at(1, 2), 1.0f);
  EXPECT_EQ(x->at(3, 2) + x->at(3, 3), 0.0f);
  // A constant column keeps scale 1 and encodes to 0.
  EXPECT_EQ(x->at(0, 4), 0.0f);
}

TEST(FeatureEncoderTest, MatchesColumnsByNameAndHandlesUnseenCategories) {
  Dataset train = Table();
  auto enc = FeatureEncoder::Fit(DatasetView(train), {});
  ASSERT_TRUE(enc.ok());
  // Other order, an extra column, a new category and a different dictionary order.
  Dataset test = Dataset::Dense({Column::Numeric("extra", {1, 2}), Column::Numeric("const", {7, 7}),
                                 Column::Categorical("city", {0, 1}, {"Rome", "Paris"}),
                                 Column::Numeric("age", {20, kNaN})});
  core::ThreadPool pool(2);
  auto x = enc->Transform(DatasetView(test), pool);
  ASSERT_TRUE(x.ok()) << x.status().ToString();
  ASSERT_EQ(x->cols(), 5u);
  auto ref = enc->Transform(DatasetView(train), pool);
  EXPECT_EQ(x->at(0, 0), ref->at(0, 0));
  EXPECT_EQ(x->at(1, 1), 1.0f);
  EXPECT_EQ(x->at(0, 2) + x->at(0, 3), 0.0f);  // Rome: unseen -> zeros
  EXPECT_EQ(x->at(1, 3), 1.0f);                // Paris
}

TEST(FeatureEncoderTest, MissingColumnIsAnErrorNamingIt) {
  Dataset train = Table();
  auto enc = FeatureEncoder::Fit(DatasetView(train), {});
  Dataset test = Dataset::Dense({Column::Numeric("Age", {1}), Column::Numeric("const", {7}),
                                 Column::Categorical("city", {0}, {"Paris"})});
  core::ThreadPool pool(1);
  auto x = enc->Transform(DatasetView(test), pool);
  ASSERT_FALSE(x.ok());
  EXPECT_THAT(x.status().message(), HasSubstr("column 'age' is missing"));
  EXPECT_THAT(x.status().message(), HasSubstr("'Age'"));
}

TEST(FeatureEncoderTest, NumericColumnArrivingAsTextIsAnError) {
  Dataset train = Table();
  auto enc = FeatureEncoder::Fit(DatasetView(train), {});
  Dataset test = Dataset::Dense({Column::Categorical("age", {0, 1}, {"41", "forty"}),
                                 Column::Numeric("const", {7, 7}),
                                 Column::Categorical("city", {0, 0}, {"Paris"})});
  core::ThreadPool pool(1);
  auto x = enc->Transform(DatasetView(test), pool);
  ASSERT_FALSE(x.ok());
  EXPECT_THAT(x.status().message(), HasSubstr("'forty'"));
  EXPECT_THAT(x.status().message(), HasSubstr("numeric column"));
  EXPECT_THAT(x.status().message(), HasSubstr("row 2"));
}

TEST(FeatureEncoderTest, TextThatReadsAsNumbersIsAccepted) {
  Dataset train = Table();
  auto enc = FeatureEncoder::Fit(DatasetView(train), {});
  Dataset test =
      Dataset::Dense({Column::Categorical("age", {0}, {"20"}), Column::Numeric("const", {7}),
                      Column::Categorical("city", {0}, {"Paris"})});
  core::ThreadPool pool(1);
  auto x = enc->Transform(DatasetView(test), pool);
  ASSERT_TRUE(x.ok());
  auto ref = enc->Transform(DatasetView(train), pool);
  EXPECT_EQ(x->at(0, 0), ref->at(0, 0));
}

TEST(FeatureEncoderTest, HighCardinalityIsHashed) {
  std::vector<int32_t> codes;
  std::vector<std::string> cats;
  for (int i = 0; i < 100; ++i) {
    cats.push_back(fmt::format("id{}", i));
    codes.push_back(i);
  }
  Dataset ds = Dataset::Dense({Column::Categorical("user", codes, cats)});
  FeatureEncoderOptions o;
  o.max_onehot = 10;
  o.hash_buckets = 16;
  auto enc = FeatureEncoder::Fit(DatasetView(ds), o);
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->num_features(), 16u);
  EXPECT_EQ(enc->FeatureNames()[3], "user#3");
  core::ThreadPool pool(1);
  auto x = enc->Transform(DatasetView(ds), pool);
  ASSERT_TRUE(x.ok());
  for (size_t i = 0; i < 100; ++i) {
    float sum = 0;
    x->ForEachInRow(i, [&](size_t, float v) { sum += v; });
    EXPECT_EQ(sum, 1.0f);
  }
}

TEST(FeatureEncoderTest, WithoutStandardizeValuesPassThrough) {
  Dataset ds = Table();
  FeatureEncoderOptions o;
  o.standardize = false;
  auto enc = FeatureEncoder::Fit(DatasetView(ds), o);
  core::ThreadPool pool(1);
  auto x = enc->Transform(DatasetView(ds), pool);
  EXPECT_EQ(x->at(0, 0), 20.0f);
  EXPECT_NEAR(x->at(2, 0), 100.0 / 3, 1e-5);  // imputed mean
  std::vector<double> raw;
  double b;
  enc->ToRawUnits(std::vector<double>{2, 0, 0, 0, 0}, 1.0, &raw, &b);
  EXPECT_EQ(raw[0], 2.0);
  EXPECT_EQ(b, 1.0);
}

TEST(FeatureEncoderTest, RawUnitsUndoStandardization) {
  Dataset ds = Dataset::Dense({Column::Numeric("x", {1, 3})});  // mean 2, std 1
  auto enc = FeatureEncoder::Fit(DatasetView(ds), {});
  std::vector<double> raw;
  double b;
  enc->ToRawUnits(std::vector<double>{4}, 1.0, &raw, &b);
  EXPECT_DOUBLE_EQ(raw[0], 4.0);
  EXPECT_DOUBLE_EQ(b, 1.0 - 4.0 * 2.0);
}

TEST(FeatureEncoderTest, SparseIsIdentityAndIgnoresWiderFeatures) {
  data::CsrMatrix m;
  m.indptr = core::Array<uint64_t>(std::vector<uint64_t>{0, 2, 3});
  m.indices = core::Array<uint32_t>(std::vector<uint32_t>{0, 2, 1});
  m.values = core::Array<float>(std::vector<float>{1.5f, 2, 3});
  m.num_cols = 3;
  Dataset train = Dataset::Sparse(m);
  auto enc = FeatureEncoder::Fit(DatasetView(train), {});
  ASSERT_TRUE(enc.ok());
  core::ThreadPool pool(1);
  auto x = enc->Transform(DatasetView(train), pool);
  ASSERT_TRUE(x->is_sparse());
  EXPECT_EQ(x->indices().data(), m.indices.data());  // shared, not copied
  data::CsrMatrix wide = m;
  wide.indptr = core::Array<uint64_t>(std::vector<uint64_t>{0, 2});
  wide.indices = core::Array<uint32_t>(std::vector<uint32_t>{1, 7});
  wide.values = core::Array<float>(std::vector<float>{1, 1});
  wide.num_cols = 8;
  Dataset test = Dataset::Sparse(wide);
  auto y = enc->Transform(DatasetView(test), pool);
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->cols(), 3u);
  EXPECT_EQ(y->nnz(), 1u);
  // Dense data for a sparse model is a clear error.
  Dataset dense = Table();
  auto z = enc->Transform(DatasetView(dense), pool);
  ASSERT_FALSE(z.ok());
  EXPECT_THAT(z.status().message(), HasSubstr("sparse"));
}

TEST(FeatureEncoderTest, JsonRoundTripAndCorruption) {
  Dataset ds = Table();
  auto enc = FeatureEncoder::Fit(DatasetView(ds), {});
  auto back = FeatureEncoder::FromJson(enc->ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->FeatureNames(), enc->FeatureNames());
  nlohmann::json bad = enc->ToJson();
  bad["columns"][0]["kind"] = "weird";
  EXPECT_EQ(FeatureEncoder::FromJson(bad).status().code(), core::StatusCode::kCorrupt);
  bad = enc->ToJson();
  bad["num_features"] = 99;
  EXPECT_EQ(FeatureEncoder::FromJson(bad).status().code(), core::StatusCode::kCorrupt);
  bad = enc->ToJson();
  bad["columns"][0].erase("mean");
  EXPECT_EQ(FeatureEncoder::FromJson(bad).status().code(), core::StatusCode::kCorrupt);
}

TEST(FeatureEncoderTest, ManyOneHotFeaturesGiveCsr) {
  std::vector<int32_t> codes;
  std::vector<std::string> cats;
  for (int i = 0; i < 600; ++i) {
    cats.push_back(fmt::format("c{}", i));
    codes.push_back(i % 600);
  }
  Dataset ds = Dataset::Dense(
      {Column::Categorical("c", codes, cats), Column::Numeric("v", std::vector<float>(600, 1.0f))});
  FeatureEncoderOptions o;
  o.max_onehot = 1000;
  auto enc = FeatureEncoder::Fit(DatasetView(ds), o);
  core::ThreadPool pool(2);
  auto x = enc->Transform(DatasetView(ds), pool);
  ASSERT_TRUE(x.ok());
  EXPECT_TRUE(x->is_sparse());
  EXPECT_EQ(x->cols(), 601u);
  EXPECT_EQ(x->nnz(), 600u);  // the constant column encodes to 0 and is not stored
}

}  // namespace
}  // namespace kiln::ml
