// BinMapper (quantile and categorical bins) and BinnedDataset (column-major bin storage).
#include "kiln/data/bin_mapper.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kiln/core/random.h"
#include "kiln/data/binned_dataset.h"

namespace kiln::data {
namespace {

using ::testing::HasSubstr;

core::Result<BinMapper> Fit(const Dataset& ds, BinMapperOptions o = {}, int threads = 1) {
  core::ThreadPool pool(threads);
  return BinMapper::Fit(DatasetView(ds), o, pool);
}

TEST(BinMapperTest, FewValuesGetABinEachWithMidpointBounds) {
  Dataset ds = Dataset::Dense({Column::Numeric("x", {3, 1, 2, 2, 5, 1, NAN})});
  auto m = Fit(ds);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const FeatureBins& f = m->feature(0);
  EXPECT_EQ(f.upper_bounds, (std::vector<float>{1.5f, 2.5f, 4.0f}));
  EXPECT_EQ(f.value_bins(), 4u);
  EXPECT_EQ(f.missing_bin(), 4u);
  EXPECT_EQ(f.NumericBin(1), 0u);
  EXPECT_EQ(f.NumericBin(2), 1u);
  EXPECT_EQ(f.NumericBin(3), 2u);
  EXPECT_EQ(f.NumericBin(5), 3u);
  EXPECT_EQ(f.NumericBin(100), 3u);
  EXPECT_EQ(f.NumericBin(-100), 0u);
  EXPECT_EQ(f.NumericBin(NAN), 4u);
}

TEST(BinMapperTest, BinTestEqualsThresholdTestOnRawValues) {
  core::Rng rng(3);
  std::vector<float> x(5000);
  for (float& v : x) v = static_cast<float>(std::round(rng.Normal() * 1000) / 100);
  Dataset ds = Dataset::Dense({Column::Numeric("x", x)});
  BinMapperOptions o;
  o.max_bins = 32;
  auto m = Fit(ds, o);
  ASSERT_TRUE(m.ok());
  const FeatureBins& f = m->feature(0);
  ASSERT_LE(f.value_bins(), 32u);
  ASSERT_GE(f.value_bins(), 30u);
  for (float v : x) {
    for (uint32_t b = 0; b + 1 < f.value_bins(); ++b) {
      EXPECT_EQ(f.NumericBin(v) <= b, v < f.Threshold(b)) << v << " bin " << b;
    }
  }
}

TEST(BinMapperTest, ManyValuesGiveBinsOfSimilarCounts) {
  core::Rng rng(5);
  std::vector<float> x(20000);
  for (float& v : x) v = static_cast<float>(rng.Normal());
  Dataset ds = Dataset::Dense({Column::Numeric("x", x)});
  BinMapperOptions o;
  o.max_bins = 50;
  auto m = Fit(ds, o);
  ASSERT_TRUE(m.ok());
  const FeatureBins& f = m->feature(0);
  EXPECT_LE(f.value_bins(), 50u);
  EXPECT_GE(f.value_bins(), 45u);
  std::vector<int> count(f.num_bins(), 0);
  for (float v : x) ++count[f.NumericBin(v)];
  for (uint32_t b = 0; b < f.value_bins(); ++b) {
    EXPECT_GT(count[b], 20000 / 50 / 2) << "bin " << b;
    EXPECT_LT(count[b], 20000 / 50 * 2) << "bin " << b;
  }
}

TEST(BinMapperTest, AHeavilyRepeatedValueGetsABinOfItsOwn) {
  core::Rng rng(7);
  std::vector<float> x;
  for (int i = 0; i < 3000; ++i) x.push_back(static_cast<float>(rng.Uniform()));
  for (int i = 0; i < 3000; ++i) x.push_back(0.25f);  // half the rows
  Dataset ds = Dataset::Dense({Column::Numeric("x", x)});
  BinMapperOptions o;
  o.max_bins = 16;
  auto m = Fit(ds, o);
  ASSERT_TRUE(m.ok());
  const FeatureBins& f = m->feature(0);
  const uint32_t b = f.NumericBin(0.25f);
  ASSERT_GT(b, 0u);
  ASSERT_LT(b + 1, f.value_bins());
  // No other value of the data shares its bin.
  for (float v : x) {
    if (v != 0.25f) {
      EXPECT_NE(f.NumericBin(v), b) << v;
    }
  }
}

TEST(BinMapperTest, SamplingIsSeededAndThreadIndependent) {
  core::Rng rng(9);
  std::vector<float> x(50000), z(50000);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(rng.Normal());
    z[i] = static_cast<float>(rng.Uniform() * 7);
  }
  Dataset ds = Dataset::Dense({Column::Numeric("x", x), Column::Numeric("z", z)});
  BinMapperOptions o;
  o.sample_rows = 1000;
  o.seed = 11;
  auto a = Fit(ds, o, 1), b = Fit(ds, o, 2);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->feature(0).upper_bounds, b->feature(0).upper_bounds);
  EXPECT_EQ(a->feature(1).upper_bounds, b->feature(1).upper_bounds);
  o.seed = 12;
  auto c = Fit(ds, o, 1);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->feature(0).upper_bounds, c->feature(0).upper_bounds);
}

TEST(BinMapperTest, CategoriesByFrequencyRareOnesShareTheMissingBin) {
  // codes: a x5, b x1, c x3, d x3, missing x2
  std::vector<int32_t> codes{0, 0, 0, 0, 0, 1, 2, 2, 2, 3, 3, 3, kMissingCode, kMissingCode};
  Dataset ds = Dataset::Dense({Column::Categorical("c", codes, {"a", "b", "c", "d"})});
  BinMapperOptions o;
  o.min_category_count = 2;
  auto m = Fit(ds, o);
  ASSERT_TRUE(m.ok());
  const FeatureBins& f = m->feature(0);
  EXPECT_EQ(f.type, ColumnType::kCategorical);
  EXPECT_EQ(f.categories, (std::vector<std::string>{"a", "c", "d"}));  // ties by first seen
  EXPECT_EQ(f.missing_bin(), 3u);
  // Another dataset's dictionary maps by text; unknown categories go to the missing bin.
  Column other = Column::Categorical("c", {0, 1, 2}, {"d", "zzz", "a"});
  EXPECT_EQ(m->CategoryBins(0, other), (std::vector<uint32_t>{2, 3, 0}));

  o.max_bins = 2;
  auto capped = Fit(ds, o);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->feature(0).categories, (std::vector<std::string>{"a", "c"}));
}

TEST(BinnedDatasetTest, StoresBinsColumnMajorInViewOrder) {
  Dataset ds = Dataset::Dense({Column::Numeric("x", {1, 2, 3, NAN}),
                               Column::Categorical("c", {1, 0, kMissingCode, 1}, {"p", "q"})});
  core::ThreadPool pool(2);
  auto m = BinMapper::Fit(DatasetView(ds), {}, pool);
  ASSERT_TRUE(m.ok());
  DatasetView view(ds, {3, 0, 1});
  auto b = BinnedDataset::Build(view, *m, pool);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(b->num_rows(), 3u);
  EXPECT_FALSE(b->wide(0));
  EXPECT_EQ(b->bin(0, 0), m->feature(0).missing_bin());
  EXPECT_EQ(b->bin(0, 1), 0u);
  EXPECT_EQ(b->bin(0, 2), 1u);
  // "q" is the most frequent category: bin 0.
  EXPECT_EQ(m->feature(1).categories, (std::vector<std::string>{"q", "p"}));
  EXPECT_EQ(b->bin(1, 0), 0u);
  EXPECT_EQ(b->bin(1, 1), 0u);
  EXPECT_EQ(b->bin(1, 2), 1u);
  EXPECT_EQ(b->MemoryBytes(), 6u);
}

TEST(BinnedDatasetTest, StoredBinsAreTheMappersBins) {
  // Every kind of value, including bounds themselves, infinities and values between bounds.
  core::Rng rng(13);
  std::vector<float> x;
  for (int i = 0; i < 3000; ++i) x.push_back(static_cast<float>(std::round(rng.Normal() * 50)));
  std::vector<float> probe = x;
  for (float v : {-INFINITY, INFINITY, -1e30f, 1e30f, 0.5f, -0.5f, NAN}) probe.push_back(v);
  for (uint32_t max_bins : {2u, 7u, 64u, 255u, 300u}) {
    SCOPED_TRACE(max_bins);
    BinMapperOptions o;
    o.max_bins = max_bins;
    core::ThreadPool pool(1);
    auto m = BinMapper::Fit(DatasetView(Dataset::Dense({Column::Numeric("x", x)})), o, pool);
    ASSERT_TRUE(m.ok());
    std::vector<float> with_bounds = probe;
    for (float b : m->feature(0).upper_bounds) with_bounds.push_back(b);
    Dataset ds = Dataset::Dense({Column::Numeric("x", with_bounds)});
    auto b = BinnedDataset::Build(DatasetView(ds), *m, pool);
    ASSERT_TRUE(b.ok());
    for (size_t i = 0; i < with_bounds.size(); ++i) {
      EXPECT_EQ(b->bin(0, i), m->feature(0).NumericBin(with_bounds[i])) << with_bounds[i];
    }
  }
}

TEST(BinnedDatasetTest, MoreThan256BinsUseSixteenBits) {
  std::vector<float> x(1000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
  Dataset ds = Dataset::Dense({Column::Numeric("x", x)});
  core::ThreadPool pool(1);
  BinMapperOptions o;
  o.max_bins = 1000;
  auto m = BinMapper::Fit(DatasetView(ds), o, pool);
  ASSERT_TRUE(m.ok());
  auto b = BinnedDataset::Build(DatasetView(ds), *m, pool);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->wide(0));
  EXPECT_EQ(b->num_bins(0), 1001u);
  EXPECT_EQ(b->bin(0, 999), 999u);
  EXPECT_EQ(b->wide_bins(0)[500], 500u);
}

TEST(BinMapperTest, ErrorsNameTheProblem) {
  core::ThreadPool pool(1);
  Dataset ds = Dataset::Dense({Column::Numeric("x", {1, 2})});
  BinMapperOptions o;
  o.max_bins = 1;
  auto bad = BinMapper::Fit(DatasetView(ds), o, pool);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("max_bins"));

  CsrMatrix csr;
  csr.indptr = core::Array<uint64_t>(std::vector<uint64_t>{0, 0});
  csr.num_cols = 1;
  Dataset sparse = Dataset::Sparse(csr);
  auto s = BinMapper::Fit(DatasetView(sparse), {}, pool);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("sparse"));

  auto m = BinMapper::Fit(DatasetView(ds), {}, pool);
  ASSERT_TRUE(m.ok());
  Dataset renamed = Dataset::Dense({Column::Numeric("y", {1, 2})});
  auto missing = BinnedDataset::Build(DatasetView(renamed), *m, pool);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("'x'"));
  Dataset retyped = Dataset::Dense({Column::Categorical("x", {0, 0}, {"a"})});
  auto typed = BinnedDataset::Build(DatasetView(retyped), *m, pool);
  ASSERT_FALSE(typed.ok());
  EXPECT_THAT(typed.status().message(), HasSubstr("categorical"));
}

}  // namespace
}  // namespace kiln::data
