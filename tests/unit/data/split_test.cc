#include "kiln/data/split.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

namespace kiln::data {
namespace {

using ::testing::HasSubstr;

// n rows; label class i % classes for the first part, skewed so classes have unequal sizes.
Dataset MakeDataset(size_t n, bool categorical_label) {
  std::vector<float> x(n);
  std::vector<float> y(n);
  std::vector<int32_t> codes(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(i);
    const int cls = i % 10 < 6 ? 0 : (i % 10 < 9 ? 1 : 2);  // 60% / 30% / 10%
    y[i] = static_cast<float>(cls);
    codes[i] = cls;
  }
  Column label = categorical_label ? Column::Categorical("label", codes, {"a", "b", "c"})
                                   : Column::Numeric("label", y);
  return Dataset::Dense({Column::Numeric("x", x)}, std::move(label));
}

std::vector<uint32_t> Rows(const DatasetView& v) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < v.size(); ++i) out.push_back(v.row(i));
  return out;
}

std::map<float, size_t> ClassCounts(const DatasetView& v) {
  std::map<float, size_t> out;
  for (size_t i = 0; i < v.size(); ++i) ++out[v.dataset().label()->values[v.row(i)]];
  return out;
}

TEST(TrainTestSplitTest, DisjointCoveringAndDeterministic) {
  const Dataset ds = MakeDataset(103, false);
  const DatasetView all(ds);
  SplitOptions o;
  o.test_fraction = 0.25;
  auto a = TrainTestSplit(all, o);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->second.size(), 26u);  // ceil(0.25 * 103)
  EXPECT_EQ(a->first.size(), 77u);
  std::vector<uint32_t> rows = Rows(a->first);
  const std::vector<uint32_t> test = Rows(a->second);
  rows.insert(rows.end(), test.begin(), test.end());
  std::sort(rows.begin(), rows.end());
  for (uint32_t i = 0; i < 103; ++i) ASSERT_EQ(rows[i], i);
  auto b = TrainTestSplit(all, o);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Rows(a->second), Rows(b->second));
  o.seed = 7;
  auto c = TrainTestSplit(all, o);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(Rows(a->second), Rows(c->second));
}

TEST(TrainTestSplitTest, WithoutShuffleTheTestSetIsTheTail) {
  const Dataset ds = MakeDataset(10, false);
  SplitOptions o;
  o.shuffle = false;
  o.test_fraction = 0.3;
  auto r = TrainTestSplit(DatasetView(ds), o);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(Rows(r->second), ::testing::ElementsAre(7u, 8u, 9u));
}

TEST(TrainTestSplitTest, SplitsAViewOfAView) {
  const Dataset ds = MakeDataset(50, false);
  const DatasetView odd(ds, {1, 3, 5, 7, 9, 11, 13, 15, 17, 19});
  auto r = TrainTestSplit(odd, SplitOptions{});
  ASSERT_TRUE(r.ok());
  for (uint32_t row : Rows(r->first)) EXPECT_EQ(row % 2, 1u);
  for (uint32_t row : Rows(r->second)) EXPECT_EQ(row % 2, 1u);
}

TEST(TrainTestSplitTest, StratifiedKeepsClassProportions) {
  for (bool categorical : {false, true}) {
    const Dataset ds = MakeDataset(1000, categorical);
    SplitOptions o;
    o.stratify = true;
    o.test_fraction = 0.2;
    auto r = TrainTestSplit(DatasetView(ds), o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->second.size(), 200u);
    std::map<int, size_t> counts;
    for (uint32_t row : Rows(r->second)) {
      ++counts[categorical ? ds.label()->codes[row] : static_cast<int>(ds.label()->values[row])];
    }
    EXPECT_EQ(counts[0], 120u);
    EXPECT_EQ(counts[1], 60u);
    EXPECT_EQ(counts[2], 20u);
  }
}

TEST(TrainTestSplitTest, BadArguments) {
  const Dataset ds = MakeDataset(10, false);
  for (double f : {0.0, 1.0, -0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    SplitOptions o;
    o.test_fraction = f;
    auto r = TrainTestSplit(DatasetView(ds), o);
    ASSERT_FALSE(r.ok()) << f;
    EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("between 0 and 1"));
  }
  const Dataset one = MakeDataset(1, false);
  EXPECT_THAT(TrainTestSplit(DatasetView(one), SplitOptions{}).status().message(),
              HasSubstr("one side would be empty"));
  const Dataset unlabeled = Dataset::Dense({Column::Numeric("x", {1, 2, 3, 4})});
  SplitOptions strat;
  strat.stratify = true;
  EXPECT_THAT(TrainTestSplit(DatasetView(unlabeled), strat).status().message(),
              HasSubstr("needs a label"));
}

TEST(KFoldTest, EveryRowInExactlyOneTestFold) {
  const Dataset ds = MakeDataset(53, false);
  auto folds = KFold(DatasetView(ds), 5, SplitOptions{});
  ASSERT_TRUE(folds.ok()) << folds.status().ToString();
  ASSERT_EQ(folds->size(), 5u);
  std::vector<int> seen(53, 0);
  for (const Fold& f : *folds) {
    EXPECT_GE(f.test.size(), 10u);
    EXPECT_LE(f.test.size(), 11u);
    EXPECT_EQ(f.train.size() + f.test.size(), 53u);
    const std::vector<uint32_t> test_rows = Rows(f.test);
    const std::set<uint32_t> test(test_rows.begin(), test_rows.end());
    for (uint32_t r : test_rows) ++seen[r];
    for (uint32_t r : Rows(f.train)) EXPECT_EQ(test.count(r), 0u);
  }
  for (int s : seen) EXPECT_EQ(s, 1);
  auto again = KFold(DatasetView(ds), 5, SplitOptions{});
  ASSERT_TRUE(again.ok());
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(Rows((*folds)[i].test), Rows((*again)[i].test));
}

TEST(KFoldTest, StratifiedFoldsBalanceClasses) {
  const Dataset ds = MakeDataset(500, false);
  SplitOptions o;
  o.stratify = true;
  auto folds = KFold(DatasetView(ds), 5, o);
  ASSERT_TRUE(folds.ok());
  for (const Fold& f : *folds) {
    EXPECT_EQ(f.test.size(), 100u);
    auto counts = ClassCounts(f.test);
    EXPECT_EQ(counts[0.0f], 60u);
    EXPECT_EQ(counts[1.0f], 30u);
    EXPECT_EQ(counts[2.0f], 10u);
  }
}

TEST(KFoldTest, BadK) {
  const Dataset ds = MakeDataset(4, false);
  EXPECT_THAT(KFold(DatasetView(ds), 1, SplitOptions{}).status().message(), HasSubstr("k >= 2"));
  EXPECT_THAT(KFold(DatasetView(ds), 5, SplitOptions{}).status().message(),
              HasSubstr("cannot make 5 folds from 4 rows"));
  EXPECT_TRUE(KFold(DatasetView(ds), 4, SplitOptions{}).ok());
}

}  // namespace
}  // namespace kiln::data
