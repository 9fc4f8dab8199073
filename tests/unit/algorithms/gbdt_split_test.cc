// Split finding on hand-made histograms: the gain formula, missing-value directions,
// min_child_weight, L1, categorical partitions and monotone constraints.
#include <cmath>

#include <gtest/gtest.h>

#include "../../../src/algorithms/tree/split_finder.h"

namespace kiln::algorithms::tree {
namespace {

// Bins (g, h) per value bin, then the missing bin.
std::vector<HistBin> Hist(std::vector<std::pair<double, double>> bins) {
  std::vector<HistBin> out;
  for (auto [g, h] : bins) out.push_back({g, h});
  return out;
}

SplitInfo Best(const SplitFinder& f, size_t j, const std::vector<HistBin>& h, Bounds b = {}) {
  SplitInfo s;
  f.FindFeature(j, h.data(), b, &s);
  return s;
}

double Score(double g, double h, double l2) { return g * g / (h + l2); }

TEST(SplitFinderTest, NumericThresholdMaximisesTheGain) {
  SplitParams p;
  p.l2 = 1;
  p.min_child_weight = 0;
  // Gradients -2 in bins 0-1, +2 in bins 2-3: the split is after bin 1.
  const auto h = Hist({{-2, 1}, {-2, 1}, {2, 1}, {2, 1}, {0, 0}});
  SplitFinder f(p, {{false, 5, 0}});
  const SplitInfo s = Best(f, 0, h);
  ASSERT_TRUE(s.valid());
  EXPECT_EQ(s.bin, 1u);
  EXPECT_NEAR(s.gain, Score(-4, 2, 1) + Score(4, 2, 1) - Score(0, 4, 1), 1e-12);
  EXPECT_DOUBLE_EQ(s.left_g, -4);
  EXPECT_DOUBLE_EQ(s.right_h, 2);
  EXPECT_NEAR(s.left_w, 4.0 / 3, 1e-12);
  EXPECT_NEAR(s.right_w, -4.0 / 3, 1e-12);
}

TEST(SplitFinderTest, MissingValuesGoWhereTheyFit) {
  SplitParams p;
  p.min_child_weight = 0;
  SplitFinder f(p, {{false, 4, 0}});
  // Missing rows look like the high bins: they should go right; then like the low ones: left.
  auto right = Best(f, 0, Hist({{-3, 1}, {3, 1}, {3, 1}, {5, 2}}));
  ASSERT_TRUE(right.valid());
  EXPECT_EQ(right.bin, 0u);
  EXPECT_FALSE(right.default_left);
  auto left = Best(f, 0, Hist({{-3, 1}, {3, 1}, {3, 1}, {-5, 2}}));
  ASSERT_TRUE(left.valid());
  EXPECT_EQ(left.bin, 0u);
  EXPECT_TRUE(left.default_left);
  EXPECT_DOUBLE_EQ(left.left_g, -8);
}

TEST(SplitFinderTest, MinChildWeightAndL1LimitSplits) {
  SplitParams p;
  p.min_child_weight = 2.5;
  SplitFinder f(p, {{false, 4, 0}});
  // Every split leaves a side with hessian below 2.5.
  EXPECT_FALSE(Best(f, 0, Hist({{-1, 1}, {-1, 1}, {1, 2}, {0, 0}})).valid());
  EXPECT_TRUE(Best(f, 0, Hist({{-1, 3}, {1, 3}, {0, 0}, {0, 0}})).valid());
  EXPECT_FALSE(Best(f, 0, Hist({{-1, 2}, {1, 2}, {0, 0}, {0, 0}})).valid());
  SplitParams l1;
  l1.min_child_weight = 0;
  l1.l1 = 5;
  SplitFinder g(l1, {{false, 3, 0}});
  // |G| of each side is below l1: no split gains anything.
  EXPECT_FALSE(Best(g, 0, Hist({{-2, 1}, {2, 1}, {0, 0}})).valid());
  EXPECT_DOUBLE_EQ(g.Weight(-7, 1, {}), 1.0);  // -(−7 + 5) / (1 + 1)
}

TEST(SplitFinderTest, CategoricalPartitionsByGradientOrder) {
  SplitParams p;
  p.min_child_weight = 0;
  p.cat_l2 = 0;
  p.cat_smooth = 0;
  p.max_cat_onehot = 2;
  // Six categories: 0, 2, 5 have negative gradients, 1, 3, 4 positive.
  const auto h = Hist({{-3, 1}, {2, 1}, {-3, 1}, {2, 1}, {2, 1}, {-3, 1}, {0, 0}});
  SplitFinder f(p, {{true, 7, 0}});
  const SplitInfo s = Best(f, 0, h);
  ASSERT_TRUE(s.valid());
  EXPECT_TRUE(s.categorical);
  const bool low_left = s.left_categories == std::vector<uint32_t>{0, 2, 5};
  const bool high_left = s.left_categories == std::vector<uint32_t>{1, 3, 4};
  EXPECT_TRUE(low_left || high_left);
  EXPECT_NEAR(s.gain, Score(-9, 3, 1) + Score(6, 3, 1) - Score(-3, 6, 1), 1e-12);
}

TEST(SplitFinderTest, FewCategoriesSplitOneAgainstTheRest) {
  SplitParams p;
  p.min_child_weight = 0;
  SplitFinder f(p, {{true, 4, 0}});
  const SplitInfo s = Best(f, 0, Hist({{1, 1}, {-6, 2}, {1, 1}, {0, 0}}));
  ASSERT_TRUE(s.valid());
  EXPECT_EQ(s.left_categories, std::vector<uint32_t>{1});
}

TEST(SplitFinderTest, MonotoneConstraintRejectsTheWrongOrder) {
  SplitParams p;
  p.min_child_weight = 0;
  // Low bins want a high value (negative gradient): decreasing in x.
  const auto h = Hist({{-3, 1}, {-3, 1}, {3, 1}, {3, 1}, {0, 0}});
  SplitFinder up(p, {{false, 5, 1}});
  EXPECT_FALSE(Best(up, 0, h).valid());
  SplitFinder down(p, {{false, 5, -1}});
  const SplitInfo s = Best(down, 0, h);
  ASSERT_TRUE(s.valid());
  EXPECT_GT(s.left_w, s.right_w);
  Bounds l, r;
  down.ChildBounds(s, Bounds{}, &l, &r);
  EXPECT_DOUBLE_EQ(l.lower, (s.left_w + s.right_w) / 2);
  EXPECT_DOUBLE_EQ(r.upper, (s.left_w + s.right_w) / 2);
  // Weights are clamped to the node's bounds.
  EXPECT_DOUBLE_EQ(down.Weight(-30, 1, Bounds{-1, 2}), 2);
}

}  // namespace
}  // namespace kiln::algorithms::tree
