// Data-parallel logistic and linear regression over an in-process cluster: with 1, 2 and 4 ranks,
// each holding its own Dataset of contiguous rows (category dictionaries in another order per
// rank), every rank's model equals the single-process fit on all rows, and errors on one rank
// reach every rank.
#include <algorithm>
#include <cmath>
#include <functional>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kiln/core/random.h"
#include "kiln/dist/inproc_cluster.h"
#include "kiln/dist/ring_collective.h"
#include "linear_test_util.h"

namespace kiln::algorithms {
namespace {

using ::testing::HasSubstr;

// Numeric columns (one with missing values), a categorical one with missing values and a rare
// category, sample weights, and a label: binary, 3 classes, or numeric (classes = 0).
data::Dataset Mixed(size_t n, int classes, uint64_t seed) {
  core::Rng rng(seed);
  std::vector<float> a(n), b(n), w(n), yn(n);
  std::vector<int32_t> cat(n), y(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = static_cast<float>(rng.Normal() * 3 + 10);
    b[i] = rng.UniformInt(7) == 0 ? NAN : static_cast<float>(rng.Normal());
    cat[i] = rng.UniformInt(9) == 0 ? -1 : static_cast<int32_t>(rng.UniformInt(4));
    if (i == n - 3) cat[i] = 4;  // "rare": only in the last shard
    w[i] = static_cast<float>(0.5 + rng.UniformInt(3));
    const double bb = std::isnan(b[i]) ? 0.0 : b[i];
    const double s = 0.4 * (a[i] - 10) + 0.8 * bb + (cat[i] == 2 ? 0.9 : 0.0) - (cat[i] == 4) +
                     rng.Normal() * 0.8;
    y[i] = classes == 2 ? (s > 0 ? 1 : 0) : (s < -0.7 ? 0 : (s < 0.7 ? 1 : 2));
    yn[i] = static_cast<float>(3 * s + 5);
  }
  std::vector<data::Column> cols{data::Column::Numeric("a", a), data::Column::Numeric("b", b),
                                 data::Column::Categorical("c", cat, {"p", "q", "r", "s", "rare"})};
  data::Column label = classes == 0   ? data::Column::Numeric("y", yn)
                       : classes == 2 ? data::Column::Categorical("label", y, {"no", "yes"})
                                      : data::Column::Categorical("label", y, {"lo", "mid", "hi"});
  return data::Dataset::Dense(cols, label, core::Array<float>(std::move(w)));
}

// A categorical column's rows [begin, end) with its dictionary reversed (other codes, same text).
data::Column SliceCategorical(const data::Column& col, size_t begin, size_t end) {
  const size_t k = col.categories.size();
  std::vector<std::string> cats(col.categories.rbegin(), col.categories.rend());
  std::vector<int32_t> codes;
  for (size_t i = begin; i < end; ++i) {
    const int32_t c = col.codes[i];
    codes.push_back(c < 0 ? c : static_cast<int32_t>(k - 1 - static_cast<size_t>(c)));
  }
  return data::Column::Categorical(col.name, codes, cats);
}

data::Column Slice(const data::Column& col, size_t begin, size_t end) {
  if (col.type == data::ColumnType::kCategorical) return SliceCategorical(col, begin, end);
  std::vector<float> v(col.values.begin() + static_cast<long>(begin),
                       col.values.begin() + static_cast<long>(end));
  return data::Column::Numeric(col.name, v);
}

// Rows [begin, end) of `ds` as a Dataset of their own.
data::Dataset Rows(const data::Dataset& ds, size_t begin, size_t end) {
  std::vector<data::Column> cols;
  for (const auto& c : ds.columns()) cols.push_back(Slice(c, begin, end));
  std::vector<float> w(ds.weights().begin() + static_cast<long>(begin),
                       ds.weights().begin() + static_cast<long>(end));
  return data::Dataset::Dense(cols, Slice(*ds.label(), begin, end),
                              core::Array<float>(std::move(w)));
}

// Rank r's shard of `ds`: contiguous rows, as its own Dataset.
data::Dataset Shard(const data::Dataset& ds, int r, int ranks) {
  const size_t n = ds.num_rows();
  return Rows(ds, n * static_cast<size_t>(r) / static_cast<size_t>(ranks),
              n * static_cast<size_t>(r + 1) / static_cast<size_t>(ranks));
}

using Params = std::vector<std::pair<std::string, std::string>>;

// Runs Fit on every rank (one thread each) over an in-process cluster; returns each rank's result.
// `cancel_rank` (if >= 0) starts with its cancellation token set.
std::vector<core::Result<std::unique_ptr<ml::Model>>> FitRanks(
    const std::string& algo, const std::vector<data::Dataset>& shards, const Params& params,
    int cancel_rank = -1) {
  const int n = static_cast<int>(shards.size());
  dist::InProcCluster cluster(n);
  const ml::AlgorithmRegistry registry = testing::MakeRegistry();
  std::vector<core::Result<std::unique_ptr<ml::Model>>> results;
  for (int r = 0; r < n; ++r) results.emplace_back(core::Internal("rank {} did not run", r));
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) {
    threads.emplace_back([&, r] {
      auto transport = cluster.Join(r);
      if (!transport.ok()) {
        results[static_cast<size_t>(r)] = transport.status();
        return;
      }
      dist::RingCollective collective(**transport);
      auto run = [&]() -> core::Result<std::unique_ptr<ml::Model>> {
        KILN_ASSIGN_OR_RETURN(const ml::AlgorithmEntry* entry, registry.Get(algo));
        KILN_ASSIGN_OR_RETURN(core::ParamMap map, entry->params.Resolve(params));
        KILN_ASSIGN_OR_RETURN(auto est, entry->factory.create(map));
        core::CancellationToken cancel;
        if (r == cancel_rank) cancel.Cancel();
        core::Context ctx(core::ContextOptions{1, 7}, nullptr, nullptr, &cancel);
        ml::TrainInput input{data::DatasetView(shards[static_cast<size_t>(r)]), std::nullopt,
                             &collective};
        return est->Fit(input, ctx);
      };
      results[static_cast<size_t>(r)] = run();
    });
  }
  for (auto& t : threads) t.join();
  return results;
}

std::vector<double> Coefficients(const ml::Model& m) {
  std::vector<double> out;
  const nlohmann::json d = m.Describe();
  for (const auto& row : d["weights"])
    for (double v : row) out.push_back(v);
  for (double v : d["intercept"]) out.push_back(v);
  return out;
}

// Every rank's model over `shards` equals `single` within 1e-6, and all ranks' are identical.
void ExpectRanksMatch(const ml::Model& single, const std::string& algo,
                      const std::vector<data::Dataset>& shards, const Params& params) {
  const nlohmann::json single_describe = single.Describe();
  const std::vector<double> expected = Coefficients(single);
  const int ranks = static_cast<int>(shards.size());
  {
    auto results = FitRanks(algo, shards, params);
    std::vector<double> rank0;
    for (int r = 0; r < ranks; ++r) {
      auto& result = results[static_cast<size_t>(r)];
      ASSERT_TRUE(result.ok()) << "rank " << r << ": " << result.status().ToString();
      const nlohmann::json d = (*result)->Describe();
      EXPECT_EQ(d["features"], single_describe["features"]);
      const std::vector<double> got = Coefficients(**result);
      ASSERT_EQ(got.size(), expected.size());
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_NEAR(got[i], expected[i], 1e-6 * std::max(1.0, std::abs(expected[i])))
            << "rank " << r << " coefficient " << i;
      }
      if (r == 0) rank0 = got;
      EXPECT_EQ(got, rank0) << "rank " << r << " differs from rank 0";  // bit for bit
      EXPECT_EQ(d["link"], single_describe["link"]);
    }
  }
}

void ExpectMatchesSingleProcess(const std::string& algo, const data::Dataset& all,
                                const Params& params) {
  auto single = testing::Train(algo, all, params);
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  for (int ranks : {1, 2, 4}) {
    SCOPED_TRACE(fmt::format("{} ranks", ranks));
    std::vector<data::Dataset> shards;
    for (int r = 0; r < ranks; ++r) shards.push_back(Shard(all, r, ranks));
    ExpectRanksMatch(**single, algo, shards, params);
  }
}

TEST(DistributedLinearTest, BinaryLogisticMatchesSingleProcess) {
  ExpectMatchesSingleProcess("logistic_regression", Mixed(600, 2, 11),
                             {{"tol", "1e-10"}, {"l2", "0.001"}});
}

TEST(DistributedLinearTest, MulticlassLogisticWithBalancedClassWeights) {
  ExpectMatchesSingleProcess("logistic_regression", Mixed(500, 3, 12),
                             {{"tol", "1e-10"}, {"class_weight", "balanced"}});
}

TEST(DistributedLinearTest, OwlqnWithL1) {
  ExpectMatchesSingleProcess("logistic_regression", Mixed(400, 2, 13),
                             {{"tol", "1e-10"}, {"l1", "0.002"}, {"solver", "owlqn"}});
}

TEST(DistributedLinearTest, LinearRegressionNormalEquationsAndLbfgs) {
  const data::Dataset all = Mixed(500, 0, 14);
  ExpectMatchesSingleProcess("linear_regression", all, {{"l2", "0.01"}});
  ExpectMatchesSingleProcess("linear_regression", all, {{"solver", "lbfgs"}, {"tol", "1e-10"}});
}

TEST(DistributedLinearTest, CategoryAboveMaxOnehotInAllRanksTogetherIsHashed) {
  // 5 categories over all ranks, at most 4 in any shard: hashed, as in one process.
  ExpectMatchesSingleProcess("logistic_regression", Mixed(300, 2, 15),
                             {{"tol", "1e-10"}, {"max_onehot", "4"}, {"hash_buckets", "8"}});
}

TEST(DistributedLinearTest, AShardWithoutRowsFailsEveryRankNamingIt) {
  const data::Dataset all = Mixed(100, 2, 16);
  std::vector<data::Dataset> shards{Shard(all, 0, 2), Shard(all, 1, 2), Shard(all, 0, 1)};
  // Rank 1 gets an empty dataset of the same columns.
  shards[1] = Shard(all, 0, 200);
  auto results = FitRanks("logistic_regression", shards, {});
  for (size_t r = 0; r < results.size(); ++r) {
    ASSERT_FALSE(results[r].ok()) << "rank " << r;
    EXPECT_THAT(results[r].status().ToString(), HasSubstr("rank 1 of 3"));
    EXPECT_THAT(results[r].status().ToString(), HasSubstr("no training rows"));
  }
}

TEST(DistributedLinearTest, DisagreeingColumnsFailEveryRankNamingTheRanks) {
  const data::Dataset all = Mixed(100, 2, 17);
  data::Dataset other = Shard(all, 1, 2);
  std::vector<data::Column> cols{other.columns()[0], other.columns()[2]};  // no column b
  std::vector<float> w(other.weights().begin(), other.weights().end());
  std::vector<data::Dataset> shards{Shard(all, 0, 2)};
  shards.push_back(data::Dataset::Dense(cols, *other.label(), core::Array<float>(std::move(w))));
  auto results = FitRanks("logistic_regression", shards, {});
  for (size_t r = 0; r < results.size(); ++r) {
    ASSERT_FALSE(results[r].ok()) << "rank " << r;
    const std::string message = results[r].status().ToString();
    EXPECT_THAT(
        message,
        HasSubstr("feature column 2 is b (numeric) on rank 0 but c (categorical) on rank 1"));
  }
}

TEST(DistributedLinearTest, ABadWeightOnOneRankFailsEveryRank) {
  data::Dataset all = Mixed(100, 2, 18);
  std::vector<data::Dataset> shards{Shard(all, 0, 2), Shard(all, 1, 2)};
  std::vector<float> w(shards[1].weights().begin(), shards[1].weights().end());
  w[3] = -1;
  std::vector<data::Column> cols(shards[1].columns().begin(), shards[1].columns().end());
  shards[1] = data::Dataset::Dense(cols, *shards[1].label(), core::Array<float>(std::move(w)));
  auto classified = FitRanks("logistic_regression", shards, {});
  for (size_t r = 0; r < classified.size(); ++r) {
    ASSERT_FALSE(classified[r].ok()) << "rank " << r;
    EXPECT_THAT(classified[r].status().ToString(), HasSubstr("rank 1 of 2"));
    EXPECT_THAT(classified[r].status().ToString(), HasSubstr("sample weight -1"));
  }
}

TEST(DistributedLinearTest, SolversThatDoNotRunDataParallelAreRefused) {
  const data::Dataset all = Mixed(100, 2, 19);
  std::vector<data::Dataset> shards{Shard(all, 0, 2), Shard(all, 1, 2)};
  for (const auto& result : FitRanks("logistic_regression", shards, {{"solver", "ftrl"}})) {
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.status().ToString(),
                HasSubstr("solver = ftrl does not train data-parallel"));
  }
  const data::Dataset reg = Mixed(100, 0, 19);
  std::vector<data::Dataset> reg_shards{Shard(reg, 0, 2), Shard(reg, 1, 2)};
  for (const auto& result : FitRanks("linear_regression", reg_shards, {{"l1", "0.1"}})) {
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.status().ToString(), HasSubstr("solver = auto chose cd"));
  }
}

TEST(DistributedLinearTest, CancellingOneRankStopsEveryRankAtTheSameIteration) {
  const data::Dataset all = Mixed(200, 2, 21);
  std::vector<data::Dataset> shards{Shard(all, 0, 3), Shard(all, 1, 3), Shard(all, 2, 3)};
  auto results = FitRanks("logistic_regression", shards, {}, /*cancel_rank=*/1);
  for (size_t r = 0; r < results.size(); ++r) {
    ASSERT_FALSE(results[r].ok()) << "rank " << r;
    EXPECT_EQ(results[r].status().code(), core::StatusCode::kCancelled) << "rank " << r;
    EXPECT_THAT(results[r].status().ToString(), HasSubstr("logistic_regression was cancelled"));
  }
}

TEST(DistributedLinearTest, RanksWithOneClassEachStillSeeBoth) {
  // Sorted by label: rank 0 holds only "no", rank 1 only "yes".
  data::Dataset all = Mixed(200, 2, 20);
  std::vector<uint32_t> order(all.num_rows());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    return all.label()->codes[x] < all.label()->codes[y];
  });
  std::vector<data::Column> cols;
  for (const auto& c : all.columns()) {
    if (c.type == data::ColumnType::kNumeric) {
      std::vector<float> v;
      for (uint32_t i : order) v.push_back(c.values[i]);
      cols.push_back(data::Column::Numeric(c.name, v));
    } else {
      std::vector<int32_t> v;
      for (uint32_t i : order) v.push_back(c.codes[i]);
      cols.push_back(data::Column::Categorical(c.name, v, c.categories));
    }
  }
  std::vector<int32_t> y;
  std::vector<float> w;
  for (uint32_t i : order) {
    y.push_back(all.label()->codes[i]);
    w.push_back(all.weights()[i]);
  }
  const size_t zeros = static_cast<size_t>(std::count(y.begin(), y.end(), 0));
  data::Dataset sorted =
      data::Dataset::Dense(cols, data::Column::Categorical("label", y, all.label()->categories),
                           core::Array<float>(std::move(w)));
  // Two shards split exactly at the class boundary.
  const Params params{{"tol", "1e-10"}};
  auto single = testing::Train("logistic_regression", sorted, params);
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  ExpectRanksMatch(**single, "logistic_regression",
                   {Rows(sorted, 0, zeros), Rows(sorted, zeros, sorted.num_rows())}, params);
}

}  // namespace
}  // namespace kiln::algorithms
