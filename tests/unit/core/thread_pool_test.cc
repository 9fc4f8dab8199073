#include "kiln/core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <numeric>
#include <vector>

namespace kiln::core {
namespace {

TEST(ThreadPoolTest, RunsEveryTaskOnce) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    for (int round = 0; round < 50; ++round) {
      std::vector<std::atomic<int>> hits(1000);
      pool.Run(hits.size(), [&](size_t i) { hits[i].fetch_add(1); });
      for (auto& h : hits) ASSERT_EQ(h.load(), 1);
    }
  }
}

TEST(ThreadPoolTest, NestedRunExecutesInline) {
  ThreadPool pool(2);
  std::atomic<int> total{0};
  pool.Run(4, [&](size_t) { pool.Run(10, [&](size_t) { total.fetch_add(1); }); });
  EXPECT_EQ(total.load(), 40);
}

TEST(ThreadPoolTest, BlockSplitDoesNotDependOnThreads) {
  std::vector<double> values(10007);
  std::iota(values.begin(), values.end(), 0.5);
  auto sum_with = [&](int threads) {
    ThreadPool pool(threads);
    std::vector<double> partial(NumBlocks(values.size(), 256));
    ParallelForBlocks(pool, 0, values.size(), 256, [&](size_t b, size_t e, size_t block) {
      double s = 0;
      for (size_t i = b; i < e; ++i) s += values[i] * 1e-3;
      partial[block] = s;
    });
    double total = 0;
    for (double p : partial) total += p;
    return total;
  };
  EXPECT_EQ(sum_with(1), sum_with(2));
  EXPECT_EQ(sum_with(1), sum_with(3));
}

}  // namespace
}  // namespace kiln::core
