#include "kiln/core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <numeric>
#include <thread>
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

TEST(ThreadPoolTest, RunOnEachThreadKeepsEachIndexOnOneThread) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    std::vector<std::thread::id> owner(static_cast<size_t>(threads));
    std::vector<int> calls(static_cast<size_t>(threads), 0);
    for (int round = 0; round < 200; ++round) {
      pool.RunOnEachThread([&](size_t t) {
        if (round == 0) owner[t] = std::this_thread::get_id();
        EXPECT_EQ(owner[t], std::this_thread::get_id()) << "index " << t << " round " << round;
        ++calls[t];
      });
      // Ordinary regions in between must not disturb the pinning.
      std::atomic<int> sum{0};
      pool.Run(17, [&](size_t i) { sum.fetch_add(static_cast<int>(i)); });
      ASSERT_EQ(sum.load(), 136);
    }
    for (int c : calls) EXPECT_EQ(c, 200);
    EXPECT_EQ(owner[0], std::this_thread::get_id());  // index 0 is the caller
    for (size_t a = 0; a < owner.size(); ++a) {
      for (size_t b = a + 1; b < owner.size(); ++b) EXPECT_NE(owner[a], owner[b]);
    }
  }
}

TEST(ThreadPoolTest, RunOnEachThreadInsideRegionRunsInline) {
  ThreadPool pool(2);
  std::mutex m;
  std::vector<size_t> seen;
  pool.Run(3, [&](size_t) {
    pool.RunOnEachThread([&](size_t t) {
      std::lock_guard<std::mutex> lock(m);
      seen.push_back(t);
    });
  });
  EXPECT_EQ(seen.size(), 6u);
}

}  // namespace
}  // namespace kiln::core
