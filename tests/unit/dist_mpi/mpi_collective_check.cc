// Run under mpirun: every collective over MPI (RingCollective on MpiTransport) must give the same
// bits as the same call over an in-process cluster of as many threads, on every rank. Exits 0 when
// every check passed on this rank; prints each failure.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "kiln/dist/inproc_cluster.h"
#include "kiln/dist/mpi_environment.h"
#include "kiln/dist/mpi_transport.h"
#include "kiln/dist/ring_collective.h"

namespace kiln::dist {
namespace {

class Checker {
 public:
  explicit Checker(int rank) : rank_(rank) {}
  void Expect(bool ok, const std::string& what) {
    ++checks_;
    if (ok) return;
    ++failures_;
    std::fprintf(stderr, "rank %d: FAILED: %s\n", rank_, what.c_str());
  }
  void ExpectOk(const core::Status& s, const std::string& what) {
    Expect(s.ok(), what + ": " + s.ToString());
  }
  int failures() const { return failures_; }
  int checks() const { return checks_; }

 private:
  int rank_;
  int checks_ = 0;
  int failures_ = 0;
};

// Bit-for-bit equality (memcmp would be undefined on the null data() of empty vectors).
template <typename T>
bool SameBits(const std::vector<T>& a, const std::vector<T>& b) {
  const auto x = std::as_bytes(std::span<const T>(a));
  const auto y = std::as_bytes(std::span<const T>(b));
  return std::equal(x.begin(), x.end(), y.begin(), y.end());
}

// Inputs whose sums depend on the order of the additions.
template <typename T>
std::vector<T> Input(int rank, size_t count, uint64_t salt) {
  std::vector<T> values(count);
  for (size_t i = 0; i < count; ++i) {
    uint64_t h = (static_cast<uint64_t>(rank) + 1) * 0x9e3779b97f4a7c15ULL;
    h ^= (i + salt) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
    const double unit = static_cast<double>(h >> 11) / static_cast<double>(1ULL << 53);
    if constexpr (std::is_integral_v<T>) {
      values[i] = static_cast<T>(h >> 20) - static_cast<T>(1LL << 43);
    } else {
      values[i] = static_cast<T>((unit - 0.5) * std::pow(10.0, static_cast<double>(h % 17) - 8));
    }
  }
  return values;
}

// `body` on every rank of an in-process cluster of `n` threads; the result of rank `rank`.
template <typename T>
std::vector<T> InProcReference(int n, int rank, const std::function<std::vector<T>(int)>& input,
                               const std::function<core::Status(Collective&, std::vector<T>&)>& op,
                               Checker& check) {
  InProcCluster cluster(n);
  std::vector<std::vector<T>> results(n);
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
      results[r] = input(r);
      statuses[r] = op(collective, results[r]);
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < n; ++r) check.ExpectOk(statuses[r], fmt::format("in-process rank {}", r));
  return results[rank];
}

template <typename T>
void CheckAllReduce(Collective& mpi, size_t count, ReduceOp op, uint64_t salt, Checker& check) {
  const std::string what =
      fmt::format("AllReduce of {} {}-byte values, {}", count, sizeof(T), ReduceOpName(op));
  auto input = [&](int r) { return Input<T>(r, count, salt); };
  auto reduce = [&](Collective& c, std::vector<T>& data) {
    return c.AllReduce(std::span<T>(data), op);
  };
  std::vector<T> data = input(mpi.rank());
  check.ExpectOk(mpi.AllReduce(std::span<T>(data), op), what);
  const std::vector<T> expected = InProcReference<T>(mpi.size(), mpi.rank(), input, reduce, check);
  check.Expect(SameBits(data, expected), what + ": MPI and in-process results differ");
  // And the same bits on every MPI rank.
  auto all = mpi.AllGather(std::as_bytes(std::span<const T>(data)));
  check.ExpectOk(all.status(), what + ": gathering the results");
  if (all.ok()) {
    for (size_t r = 0; r < all->size(); ++r) {
      check.Expect((*all)[r] == (*all)[0], fmt::format("{}: rank {} differs from rank 0", what, r));
    }
  }
}

std::vector<std::byte> Pattern(int rank, size_t size) {
  std::vector<std::byte> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::byte>(rank * 31 + i);
  return bytes;
}

int Run(int argc, char** argv) {
  auto env = MpiEnvironment::Create(argc, argv);
  if (!env.ok()) {
    std::fprintf(stderr, "%s\n", env.status().ToString().c_str());
    return 1;
  }
  const int rank = (*env)->world_rank();
  const int n = (*env)->world_size();
  Checker check(rank);
  {
    auto transport = MpiTransport::Create(**env, {.recv_timeout = std::chrono::seconds(30)});
    if (!transport.ok()) {
      std::fprintf(stderr, "%s\n", transport.status().ToString().c_str());
      return 1;
    }
    check.Expect((*transport)->rank() == rank && (*transport)->size() == n, "rank and size");
    RingCollective mpi(**transport);

    uint64_t salt = 0;
    for (size_t count : {0, 1, 3, 7, 1001, 1 << 15}) {
      for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMin, ReduceOp::kMax}) {
        CheckAllReduce<double>(mpi, count, op, ++salt, check);
        CheckAllReduce<float>(mpi, count, op, ++salt, check);
        CheckAllReduce<int64_t>(mpi, count, op, ++salt, check);
      }
    }

    for (int root = 0; root < n; ++root) {
      for (size_t size : {0, 5, 70000}) {
        std::vector<std::byte> data = rank == root ? Pattern(root, size) : Pattern(rank, 3);
        check.ExpectOk(mpi.Broadcast(data, root), fmt::format("Broadcast from {}", root));
        check.Expect(data == Pattern(root, size), fmt::format("Broadcast from {} data", root));
      }
    }

    auto all = mpi.AllGather(Pattern(rank, rank * 7));
    check.ExpectOk(all.status(), "AllGather");
    if (all.ok()) {
      check.Expect(all->size() == static_cast<size_t>(n), "AllGather size");
      for (int r = 0; r < n && r < static_cast<int>(all->size()); ++r) {
        check.Expect((*all)[r] == Pattern(r, r * 7), fmt::format("AllGather block {}", r));
      }
    }
    check.ExpectOk(mpi.Barrier(), "Barrier");

    if (n > 1) {
      // A size mismatch: the same error on every rank, and the collective still works after it.
      std::vector<double> bad(rank == n - 1 ? 5 : 4, 1.0);
      core::Status s = mpi.AllReduce(std::span<double>(bad), ReduceOp::kSum);
      check.Expect(s.code() == core::StatusCode::kInvalidArgument &&
                       s.message().find(fmt::format("rank {} called AllReduce(5 float64", n - 1)) !=
                           std::string::npos,
                   "size mismatch error: " + s.ToString());
      std::vector<double> good(4, 1.0);
      check.ExpectOk(mpi.AllReduce(std::span<double>(good), ReduceOp::kSum), "after mismatch");
      check.Expect(good == std::vector<double>(4, 1.0 * n), "after mismatch values");

      // Recv from a peer that never sends times out instead of hanging.
      auto quick = MpiTransport::Create(**env, {.recv_timeout = std::chrono::milliseconds(200)});
      check.ExpectOk(quick.status(), "second transport");
      if (quick.ok()) {
        auto m = (*quick)->Recv((rank + 1) % n, 9);
        check.Expect(m.status().code() == core::StatusCode::kCancelled,
                     "Recv timeout: " + m.status().ToString());
      }
      check.ExpectOk(mpi.Barrier(), "final Barrier");
    }
  }
  std::printf("rank %d of %d: %d checks, %d failed\n", rank, n, check.checks(), check.failures());
  return check.failures() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace kiln::dist

int main(int argc, char** argv) { return kiln::dist::Run(argc, argv); }
