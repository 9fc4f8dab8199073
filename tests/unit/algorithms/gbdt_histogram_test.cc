// Histogram building: feature groups of every size give the per-feature sums, and the row
// partition keeps each side's rows in order.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "../../../src/algorithms/tree/histogram.h"
#include "../../../src/algorithms/tree/row_partition.h"
#include "kiln/core/random.h"
#include "kiln/data/bin_mapper.h"

namespace kiln::algorithms::tree {
namespace {

struct Fixture {
  data::Dataset ds;
  data::BinMapper mapper;
  data::BinnedDataset bins;
  std::vector<GradPair> grads;
};

// `features` numeric columns, one of them with more than 256 bins (16-bit).
Fixture Make(size_t features, size_t n) {
  core::Rng rng(3);
  std::vector<data::Column> cols;
  for (size_t j = 0; j < features; ++j) {
    std::vector<float> v(n);
    for (float& x : v) x = static_cast<float>(std::round(rng.Normal() * (j == 5 ? 1000 : 20)));
    if (j % 3 == 0) v[j] = NAN;
    cols.push_back(data::Column::Numeric(fmt::format("f{}", j), v));
  }
  Fixture f;
  f.ds = data::Dataset::Dense(cols);
  core::ThreadPool pool(2);
  data::BinMapperOptions o;
  o.max_bins = 400;
  f.mapper = std::move(data::BinMapper::Fit(data::DatasetView(f.ds), o, pool)).value();
  f.bins = std::move(data::BinnedDataset::Build(data::DatasetView(f.ds), f.mapper, pool)).value();
  for (size_t i = 0; i < n; ++i) {
    f.grads.push_back({static_cast<float>(rng.Normal()), static_cast<float>(rng.Uniform())});
  }
  return f;
}

TEST(GbdtHistogramTest, GroupsOfEverySizeMatchSingleFeatures) {
  const size_t d = 19, n = 3000;
  Fixture f = Make(d, n);
  ASSERT_TRUE(f.bins.wide(5));
  std::vector<size_t> all(d);
  for (size_t j = 0; j < d; ++j) all[j] = j;
  const FeatureGroups groups(f.bins, all);
  size_t covered = 0, largest = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    covered += groups.members(g).size();
    largest = std::max(largest, groups.members(g).size());
  }
  EXPECT_EQ(covered, d);
  EXPECT_LE(largest, kMaxFeatureGroup);
  const HistLayout layout(f.bins);
  // Every other row, through a row list, and a contiguous range without one.
  std::vector<uint32_t> rows;
  std::vector<GradPair> ordered;
  for (uint32_t r = 0; r < n; r += 2) {
    rows.push_back(r);
    ordered.push_back(f.grads[r]);
  }
  for (bool contiguous : {false, true}) {
    SCOPED_TRACE(contiguous);
    const uint32_t* rp = contiguous ? nullptr : rows.data();
    const size_t first = contiguous ? 100 : 0, count = contiguous ? 900 : rows.size();
    const GradPair* gp = contiguous ? f.grads.data() + first : ordered.data();
    std::vector<HistBin> grouped(layout.total()), single(layout.total());
    for (size_t g = 0; g < groups.size(); ++g) {
      HistBin* hists[kMaxFeatureGroup];
      for (size_t q = 0; q < groups.members(g).size(); ++q)
        hists[q] = grouped.data() + layout.offset(groups.members(g)[q]);
      BuildGroupHistogram(f.bins, groups, g, rp, first, gp, count, hists);
    }
    for (size_t j = 0; j < d; ++j) {
      BuildFeatureHistogram(f.bins, j, rp, first, gp, count, single.data() + layout.offset(j));
    }
    for (size_t b = 0; b < layout.total(); ++b) {
      EXPECT_EQ(grouped[b].g, single[b].g) << b;
      EXPECT_EQ(grouped[b].h, single[b].h) << b;
    }
  }
}

TEST(GbdtHistogramTest, PartitionIsStableForAnyThreadCount) {
  const size_t n = 70000;  // several blocks
  Fixture f = Make(6, n);
  Tree tree;
  tree.nodes.resize(3);
  Node& root = tree.nodes[0];
  root.feature = 2;
  root.split_bin = f.mapper.feature(2).value_bins() / 2;
  root.default_left = true;
  root.left = 1;
  root.right = 2;
  const uint32_t missing = f.mapper.feature(2).missing_bin();
  std::vector<uint32_t> expect_left, expect_right;
  for (uint32_t r = 0; r < n; ++r) {
    (tree.BinGoesLeft(root, f.bins.bin(2, r), missing) ? expect_left : expect_right).push_back(r);
  }
  for (int threads : {1, 2, 3}) {
    core::ThreadPool pool(threads);
    RowPartition p;
    p.Reset({}, true, n, f.grads.data(), pool);
    std::vector<RowPartition::Request> req(1);
    req[0].begin = 0;
    req[0].end = n;
    req[0].node = &root;
    req[0].missing_bin = missing;
    p.Split(req, tree, f.bins, pool);
    ASSERT_EQ(req[0].left_count, expect_left.size());
    for (size_t i = 0; i < n; ++i) {
      const uint32_t want =
          i < expect_left.size() ? expect_left[i] : expect_right[i - expect_left.size()];
      ASSERT_EQ(p.rows()[i], want) << "threads " << threads << " position " << i;
      ASSERT_EQ(p.grads()[i].g, f.grads[want].g);
    }
  }
}

}  // namespace
}  // namespace kiln::algorithms::tree
