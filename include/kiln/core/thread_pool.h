// ThreadPool: a fixed set of worker threads that run data-parallel regions.
//
// Run(n, fn) calls fn(i) for every i in [0, n) on the workers and the calling thread and returns
// when all calls have finished. Regions do not nest: a Run issued from inside a task runs inline
// on that thread. Thread-safe: concurrent Run calls from different threads are serialised.
// Owned by a Context; there is no process-wide pool. Idle threads poll for up to 200 µs before
// they sleep, so back-to-back regions do not pay a wake-up each; the budget shrinks while waits
// outlast it (another process holding a core), so a busy machine is not made busier.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln::core {

class ThreadPool {
 public:
  // `num_threads` counts the calling thread: 1 means no workers, everything runs inline.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Calls fn(i) for i in [0, num_tasks); blocks until every call returned. fn must not throw.
  void Run(size_t num_tasks, const std::function<void(size_t)>& fn);

  // Calls fn(t) once for every thread index t in [0, num_threads()), each on its own thread:
  // index 0 on the caller, index t always on the same worker. For work that should stay in one
  // core's cache from region to region (FTRL keeps each thread's coordinates local). Inside
  // another region the calls run inline.
  void RunOnEachThread(const std::function<void(size_t)>& fn);

 private:
  void WorkerLoop(size_t index);
  void Drain();
  // Waits (polling, then sleeping) until `counter` is zero, then clears the job.
  void WaitUntilZero(const std::atomic<size_t>& counter);

  const int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // serialises Run callers
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(size_t)>* job_ = nullptr;
  size_t job_size_ = 0;
  std::atomic<size_t> next_{0};
  // Written under mutex_; atomic so that idle threads can poll them without the lock.
  std::atomic<size_t> active_{0};   // threads inside a Run region
  std::atomic<size_t> pending_{0};  // workers yet to finish a RunOnEachThread region
  bool pinned_ = false;             // the current job is a RunOnEachThread job
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> in_region_{false};
  // The caller's polling budget (Run calls are serialised by run_mutex_).
  std::chrono::nanoseconds caller_spin_{std::chrono::microseconds(200)};
};

// Splits [begin, end) into blocks of `grain` items (the split depends on the range and grain
// only, never on the thread count, so per-block results combined in block order are
// deterministic) and calls fn(block_begin, block_end, block_index) in parallel.
template <typename F>
void ParallelForBlocks(ThreadPool& pool, size_t begin, size_t end, size_t grain, F&& fn) {
  if (end <= begin) return;
  grain = std::max<size_t>(grain, 1);
  const size_t blocks = (end - begin + grain - 1) / grain;
  if (blocks == 1 || pool.num_threads() == 1) {
    for (size_t b = 0; b < blocks; ++b) {
      fn(begin + b * grain, std::min(end, begin + (b + 1) * grain), b);
    }
    return;
  }
  pool.Run(blocks,
           [&](size_t b) { fn(begin + b * grain, std::min(end, begin + (b + 1) * grain), b); });
}

// Number of blocks ParallelForBlocks will use.
inline size_t NumBlocks(size_t n, size_t grain) {
  grain = std::max<size_t>(grain, 1);
  return (n + grain - 1) / grain;
}

}  // namespace kiln::core
