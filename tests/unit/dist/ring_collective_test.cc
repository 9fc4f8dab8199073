#include "kiln/dist/ring_collective.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <thread>
#include <type_traits>

#include "kiln/dist/inproc_cluster.h"

namespace kiln::dist {
namespace {

using std::chrono::milliseconds;

// Runs body(collective) for every rank of an in-process cluster of `n`, one thread per rank; the
// Status each rank returned, by rank.
std::vector<core::Status> RunRanks(int n, const std::function<core::Status(Collective&)>& body,
                                   InProcClusterOptions options = {}) {
  InProcCluster cluster(n, options);
  std::vector<core::Status> statuses(n);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) {
    threads.emplace_back([&, r] {
      auto transport = cluster.Join(r);
      if (!transport.ok()) {
        statuses[r] = transport.status();
        return;
      }
      RingCollective collective(**transport);
      statuses[r] = body(collective);
    });
  }
  for (auto& t : threads) t.join();
  return statuses;
}

void ExpectAllOk(const std::vector<core::Status>& statuses) {
  for (size_t r = 0; r < statuses.size(); ++r) {
    EXPECT_TRUE(statuses[r].ok()) << "rank " << r << ": " << statuses[r].ToString();
  }
}

// Bit-for-bit equality (memcmp would be undefined on the null data() of empty vectors).
template <typename T>
bool SameBits(const std::vector<T>& a, const std::vector<T>& b) {
  const auto x = std::as_bytes(std::span<const T>(a));
  const auto y = std::as_bytes(std::span<const T>(b));
  return std::equal(x.begin(), x.end(), y.begin(), y.end());
}

// Inputs whose sums depend on the order of the additions (magnitudes from 1e-8 to 1e8).
template <typename T>
std::vector<T> Input(int rank, size_t count) {
  std::vector<T> values(count);
  for (size_t i = 0; i < count; ++i) {
    const uint64_t h =
        (static_cast<uint64_t>(rank) * 0x9e3779b97f4a7c15ULL) ^ (i * 0xbf58476d1ce4e5b9ULL);
    const double unit = static_cast<double>(h >> 11) / static_cast<double>(1ULL << 53);
    if constexpr (std::is_integral_v<T>) {
      values[i] = static_cast<T>(h >> 20) - static_cast<T>(1LL << 43);
    } else {
      values[i] = static_cast<T>((unit - 0.5) * std::pow(10.0, static_cast<double>(h % 17) - 8));
    }
  }
  return values;
}

// The documented result: element i of chunk c reduced in rank order c, c+1, ..., c-1.
template <typename T>
std::vector<T> Expected(int n, size_t count, ReduceOp op) {
  std::vector<std::vector<T>> inputs;
  for (int r = 0; r < n; ++r) inputs.push_back(Input<T>(r, count));
  std::vector<T> out(count);
  for (int c = 0; c < n; ++c) {
    const size_t begin = c * (count / n) + std::min<size_t>(c, count % n);
    const size_t end = (c + 1) * (count / n) + std::min<size_t>(c + 1, count % n);
    for (size_t i = begin; i < end; ++i) {
      T acc = inputs[c][i];
      for (int k = 1; k < n; ++k) {
        const T x = inputs[(c + k) % n][i];
        if (op == ReduceOp::kSum) {
          acc = acc + x;
        } else if (op == ReduceOp::kMin) {
          acc = std::min(acc, x);
        } else {
          acc = std::max(acc, x);
        }
      }
      out[i] = acc;
    }
  }
  return out;
}

template <typename T>
void CheckAllReduce(int n, size_t count, ReduceOp op) {
  SCOPED_TRACE(testing::Message() << n << " ranks, " << count << " values, " << ReduceOpName(op)
                                  << ", " << sizeof(T) << "-byte type");
  const std::vector<T> expected = Expected<T>(n, count, op);
  std::vector<std::vector<T>> results(n);
  ExpectAllOk(RunRanks(n, [&](Collective& c) {
    std::vector<T> data = Input<T>(c.rank(), count);
    core::Status s = c.AllReduce(std::span<T>(data), op);
    results[c.rank()] = data;
    return s;
  }));
  for (int r = 0; r < n; ++r) {
    ASSERT_EQ(results[r].size(), count);
    // Bit for bit: the same on every rank and the documented order of operations.
    EXPECT_TRUE(SameBits(results[r], expected)) << "rank " << r;
  }
}

class AllReduceTest : public testing::TestWithParam<int> {};

TEST_P(AllReduceTest, EveryTypeOpAndOddSize) {
  const int n = GetParam();
  for (size_t count : {0, 1, 2, 3, 5, 7, 64, 1001}) {
    for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMin, ReduceOp::kMax}) {
      CheckAllReduce<double>(n, count, op);
      CheckAllReduce<float>(n, count, op);
      CheckAllReduce<int64_t>(n, count, op);
    }
  }
}

TEST_P(AllReduceTest, SumOfSmallIntegersIsExact) {
  const int n = GetParam();
  ExpectAllOk(RunRanks(n, [&](Collective& c) -> core::Status {
    std::vector<double> data = {1.0, static_cast<double>(c.rank()), -2.5};
    KILN_RETURN_IF_ERROR(c.AllReduce(std::span<double>(data), ReduceOp::kSum));
    EXPECT_EQ(data, (std::vector<double>{1.0 * n, n * (n - 1) / 2.0, -2.5 * n}));
    return core::Status::Ok();
  }));
}

TEST_P(AllReduceTest, SameBitsOnEveryRun) {
  const int n = GetParam();
  auto run = [&] {
    std::vector<std::vector<double>> out(n);
    ExpectAllOk(RunRanks(n, [&](Collective& c) {
      out[c.rank()] = Input<double>(c.rank(), 333);
      return c.AllReduce(std::span<double>(out[c.rank()]), ReduceOp::kSum);
    }));
    return out;
  };
  const auto first = run();
  const auto second = run();
  for (int r = 0; r < n; ++r) {
    EXPECT_TRUE(SameBits(first[r], second[r]));
    EXPECT_TRUE(SameBits(first[r], first[0]));
  }
}

INSTANTIATE_TEST_SUITE_P(Ranks, AllReduceTest, testing::Values(1, 2, 3, 4));

TEST(RingCollectiveTest, SizeMismatchIsTheSameErrorOnEveryRankAndRecoverable) {
  for (int n = 2; n <= 4; ++n) {  // one rank cannot disagree with itself
    std::vector<std::string> messages(n);
    ExpectAllOk(RunRanks(n, [&](Collective& c) -> core::Status {
      std::vector<double> data(c.rank() == n - 1 ? 5 : 4, 1.0);
      core::Status s = c.AllReduce(std::span<double>(data), ReduceOp::kSum);
      EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
      messages[c.rank()] = s.ToString();
      // The collective is still usable.
      std::vector<double> ok(4, 1.0);
      KILN_RETURN_IF_ERROR(c.AllReduce(std::span<double>(ok), ReduceOp::kSum));
      EXPECT_EQ(ok, std::vector<double>(4, 1.0 * n));
      return core::Status::Ok();
    }));
    const std::string expected =
        "collective: the ranks disagree: rank 0 called AllReduce(4 float64 "
        "values, sum) and rank " +
        std::to_string(n - 1) + " called AllReduce(5 float64 values, sum)";
    for (const std::string& m : messages) EXPECT_EQ(m.rfind(expected, 0), 0u) << m;
  }
}

TEST(RingCollectiveTest, TypeOpAndOperationMismatchesAreErrors) {
  auto s = RunRanks(3, [](Collective& c) {
    std::vector<double> d(3, 1.0);
    std::vector<float> f(3, 1.0f);
    return c.rank() == 1 ? c.AllReduce(std::span<float>(f), ReduceOp::kSum)
                         : c.AllReduce(std::span<double>(d), ReduceOp::kSum);
  });
  for (const auto& st : s) {
    EXPECT_NE(st.message().find("AllReduce(3 float32 values, sum)"), std::string::npos)
        << st.ToString();
  }
  s = RunRanks(2, [](Collective& c) {
    std::vector<int64_t> d(3, 1);
    return c.AllReduce(std::span<int64_t>(d), c.rank() == 0 ? ReduceOp::kMin : ReduceOp::kMax);
  });
  for (const auto& st : s) {
    EXPECT_NE(st.message().find("int64 values, max"), std::string::npos) << st.ToString();
  }
  s = RunRanks(4, [](Collective& c) {
    std::vector<double> d(3, 1.0);
    return c.rank() == 2 ? c.Barrier() : c.AllReduce(std::span<double>(d), ReduceOp::kSum);
  });
  for (const auto& st : s) {
    EXPECT_EQ(st.code(), core::StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("rank 2 called Barrier()"), std::string::npos) << st.ToString();
  }
}

TEST(RingCollectiveTest, IntegerSumWrapsAround) {
  ExpectAllOk(RunRanks(2, [](Collective& c) -> core::Status {
    std::vector<int64_t> d = {std::numeric_limits<int64_t>::max(), -7};
    if (c.rank() == 1) d = {1, 3};
    KILN_RETURN_IF_ERROR(c.AllReduce(std::span<int64_t>(d), ReduceOp::kSum));
    EXPECT_EQ(d, (std::vector<int64_t>{std::numeric_limits<int64_t>::min(), -4}));
    return core::Status::Ok();
  }));
}

TEST(RingCollectiveTest, MinAndMaxPropagateNaN) {
  ExpectAllOk(RunRanks(3, [](Collective& c) -> core::Status {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    std::vector<double> mn = {c.rank() == 1 ? nan : 1.0, 2.0};
    std::vector<double> mx = mn;
    KILN_RETURN_IF_ERROR(c.AllReduce(std::span<double>(mn), ReduceOp::kMin));
    KILN_RETURN_IF_ERROR(c.AllReduce(std::span<double>(mx), ReduceOp::kMax));
    EXPECT_TRUE(std::isnan(mn[0]));
    EXPECT_TRUE(std::isnan(mx[0]));
    EXPECT_EQ(mn[1], 2.0);
    return core::Status::Ok();
  }));
}

std::vector<std::byte> Pattern(int rank, size_t size) {
  std::vector<std::byte> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::byte>(rank * 31 + i);
  return bytes;
}

TEST(RingCollectiveTest, BroadcastFromEveryRoot) {
  for (int n = 1; n <= 4; ++n) {
    for (int root = 0; root < n; ++root) {
      for (size_t size : {0, 1, 13, 4096}) {
        SCOPED_TRACE(testing::Message() << n << " ranks, root " << root << ", " << size);
        ExpectAllOk(RunRanks(n, [&](Collective& c) -> core::Status {
          std::vector<std::byte> data =
              c.rank() == root ? Pattern(root, size) : Pattern(c.rank(), c.rank() + 2);
          KILN_RETURN_IF_ERROR(c.Broadcast(data, root));
          EXPECT_EQ(data, Pattern(root, size)) << "rank " << c.rank();
          return core::Status::Ok();
        }));
      }
    }
  }
}

TEST(RingCollectiveTest, BroadcastRootMismatchAndRangeAreErrors) {
  auto s = RunRanks(3, [](Collective& c) {
    std::vector<std::byte> data(4);
    return c.Broadcast(data, c.rank() == 2 ? 1 : 0);
  });
  for (const auto& st : s) {
    EXPECT_NE(st.message().find("rank 2 called Broadcast(root 1)"), std::string::npos)
        << st.ToString();
  }
  for (int n : {1, 3}) {
    s = RunRanks(n, [](Collective& c) {
      std::vector<std::byte> data(4);
      return c.Broadcast(data, 3);
    });
    for (const auto& st : s) {
      EXPECT_EQ(st.code(), core::StatusCode::kInvalidArgument);
      EXPECT_NE(st.message().find("root 3 is out of range"), std::string::npos) << st.ToString();
    }
  }
}

TEST(RingCollectiveTest, AllGatherVariableSizes) {
  for (int n = 1; n <= 4; ++n) {
    SCOPED_TRACE(testing::Message() << n << " ranks");
    ExpectAllOk(RunRanks(n, [&](Collective& c) -> core::Status {
      // Rank 0 sends nothing; the others odd sizes.
      const std::vector<std::byte> mine = Pattern(c.rank(), c.rank() * 3);
      KILN_ASSIGN_OR_RETURN(auto all, c.AllGather(mine));
      EXPECT_EQ(all.size(), static_cast<size_t>(n));
      for (int r = 0; r < std::min<int>(n, all.size()); ++r) EXPECT_EQ(all[r], Pattern(r, r * 3));
      // All empty.
      KILN_ASSIGN_OR_RETURN(auto empty, c.AllGather({}));
      for (const auto& block : empty) EXPECT_TRUE(block.empty());
      return core::Status::Ok();
    }));
  }
}

TEST(RingCollectiveTest, BarrierWaitsForEveryRank) {
  for (int n = 1; n <= 4; ++n) {
    std::atomic<int> arrived{0};
    ExpectAllOk(RunRanks(n, [&](Collective& c) -> core::Status {
      if (c.rank() == n - 1) std::this_thread::sleep_for(milliseconds(20));
      arrived.fetch_add(1);
      KILN_RETURN_IF_ERROR(c.Barrier());
      EXPECT_EQ(arrived.load(), n);
      return core::Status::Ok();
    }));
  }
}

TEST(RingCollectiveTest, PointToPointTrafficOnOtherTagsDoesNotMix) {
  InProcCluster cluster(2);
  auto t0 = cluster.Join(0);
  auto t1 = cluster.Join(1);
  ASSERT_TRUE(t0.ok() && t1.ok());
  core::Status s1;
  std::thread other([&] {
    RingCollective c(**t1);
    std::vector<double> d = {2.0};
    s1 = c.AllReduce(std::span<double>(d), ReduceOp::kSum);
    EXPECT_EQ(d[0], 3.0);
    auto m = (*t1)->Recv(0, 5);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->size(), 3u);
  });
  ASSERT_TRUE((*t0)->Send(1, 5, std::vector<std::byte>(3)).ok());  // before the collective
  RingCollective c(**t0);
  std::vector<double> d = {1.0};
  EXPECT_TRUE(c.AllReduce(std::span<double>(d), ReduceOp::kSum).ok());
  EXPECT_EQ(d[0], 3.0);
  other.join();
  EXPECT_TRUE(s1.ok()) << s1.ToString();
}

// A rank that leaves (its transport destroyed) instead of joining the AllReduce: every other rank
// returns an error promptly, long before the one-minute default timeout.
TEST(RingCollectiveTest, PeerGoneIsAnErrorNotAHang) {
  const auto start = std::chrono::steady_clock::now();
  auto s = RunRanks(4, [](Collective& c) -> core::Status {
    if (c.rank() == 3) return core::Status::Ok();  // leaves without calling
    std::vector<double> d(10, 1.0);
    return c.AllReduce(std::span<double>(d), ReduceOp::kSum);
  });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  for (int r = 0; r < 3; ++r) {
    EXPECT_FALSE(s[r].ok()) << "rank " << r;
    EXPECT_NE(s[r].ToString().find("rank 3 has left the job"), std::string::npos)
        << s[r].ToString();
  }
}

// A rank that stays but never calls: the others time out, abort the job, and the late rank's own
// call then fails at once instead of waiting.
TEST(RingCollectiveTest, SilentPeerTimesOutAndAbortsTheJob) {
  std::atomic<int> finished{0};
  auto s = RunRanks(4,
                    [&](Collective& c) -> core::Status {
                      std::vector<float> d(10, 1.0f);
                      if (c.rank() == 2) {
                        while (finished.load() < 3) std::this_thread::sleep_for(milliseconds(5));
                      }
                      core::Status st = c.AllReduce(std::span<float>(d), ReduceOp::kMax);
                      finished.fetch_add(1);
                      return st;
                    },
                    {.recv_timeout = milliseconds(100)});
  for (int r = 0; r < 4; ++r) {
    EXPECT_EQ(s[r].code(), core::StatusCode::kCancelled) << "rank " << r << ": " << s[r].ToString();
  }
  EXPECT_NE(s[2].ToString().find("timed out"), std::string::npos) << s[2].ToString();
}

TEST(RingCollectiveTest, ClusterAbortStopsAPendingCollective) {
  InProcCluster cluster(4);
  std::vector<core::Status> statuses(3);
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r) {  // rank 3 never joins
    threads.emplace_back([&, r] {
      auto transport = cluster.Join(r);
      ASSERT_TRUE(transport.ok());
      RingCollective collective(**transport);
      statuses[r] = collective.Barrier();
    });
  }
  std::this_thread::sleep_for(milliseconds(30));
  cluster.Abort(core::Cancelled("the user pressed Ctrl-C"));
  for (auto& t : threads) t.join();
  for (const auto& st : statuses) {
    EXPECT_EQ(st.code(), core::StatusCode::kCancelled);
    EXPECT_NE(st.ToString().find("Ctrl-C"), std::string::npos) << st.ToString();
  }
}

TEST(RingCollectiveTest, LargeBuffer) { CheckAllReduce<double>(4, 1 << 16, ReduceOp::kSum); }

}  // namespace
}  // namespace kiln::dist
