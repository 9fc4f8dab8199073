#include "kiln/core/thread_pool.h"

#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace kiln::core {
namespace {

// An idle thread polls for a while before it sleeps: waking a sleeping thread costs tens of
// microseconds (far more inside a VM), which would dominate algorithms that run thousands of
// short regions back to back, such as the online solvers' mini-batches. But when another process
// holds a core, a polling thread keeps its core busy while the thread it waits for queues for the
// other one; sleeping frees the core. So each thread adapts its polling budget: it halves when
// a wait outlasts it and grows back slowly while waits end in time.
constexpr std::chrono::nanoseconds kMaxSpin = std::chrono::microseconds(200);
constexpr std::chrono::nanoseconds kMinSpin = std::chrono::microseconds(2);

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Polls `done` until it returns true or *budget has passed, adapting *budget; returns done().
template <typename Done>
bool SpinUntil(Done&& done, std::chrono::nanoseconds* budget) {
  const auto deadline = std::chrono::steady_clock::now() + *budget;
  for (unsigned i = 1;; ++i) {
    if (done()) {
      *budget = std::min(kMaxSpin, *budget + *budget / 8 + kMinSpin);
      return true;
    }
    CpuRelax();
    if (i % 16 == 0 && std::chrono::steady_clock::now() > deadline) {
      *budget = std::max(kMinSpin, *budget / 2);
      return done();
    }
  }
}

}  // namespace

ThreadPool::ThreadPool(int num_threads) : num_threads_(std::max(1, num_threads)) {
  for (int i = 1; i < num_threads_; ++i) {
    workers_.emplace_back([this, i] { WorkerLoop(static_cast<size_t>(i)); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::Drain() {
  const auto& fn = *job_;
  for (;;) {
    size_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= job_size_) break;
    fn(i);
  }
}

void ThreadPool::WorkerLoop(size_t index) {
  uint64_t seen = 0;
  std::chrono::nanoseconds spin = kMaxSpin;
  for (;;) {
    SpinUntil(
        [&] {
          return stop_.load(std::memory_order_acquire) ||
                 generation_.load(std::memory_order_acquire) != seen;
        },
        &spin);
    bool pinned = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_.load() || generation_.load() != seen; });
      if (stop_) return;
      seen = generation_.load();
      if (job_ == nullptr) continue;  // woke after the region already finished
      pinned = pinned_;
      if (!pinned) ++active_;
    }
    if (pinned) {
      // A pinned region waits for every worker, so job_ stays valid until this call returns.
      (*job_)(index);
      std::lock_guard<std::mutex> lock(mutex_);
      if (pending_.fetch_sub(1) == 1) done_.notify_all();
      continue;
    }
    Drain();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (active_.fetch_sub(1) == 1) done_.notify_all();
    }
  }
}

void ThreadPool::Run(size_t num_tasks, const std::function<void(size_t)>& fn) {
  if (num_tasks == 0) return;
  // Nested region, single thread, or single task: run inline.
  if (workers_.empty() || num_tasks == 1 || in_region_.load(std::memory_order_acquire)) {
    for (size_t i = 0; i < num_tasks; ++i) fn(i);
    return;
  }
  std::lock_guard<std::mutex> run_lock(run_mutex_);
  in_region_.store(true, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    job_size_ = num_tasks;
    pinned_ = false;
    next_.store(0, std::memory_order_relaxed);
    ++generation_;
    ++active_;  // the caller
  }
  wake_.notify_all();
  Drain();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    active_.fetch_sub(1);
  }
  WaitUntilZero(active_);
  in_region_.store(false, std::memory_order_release);
}

void ThreadPool::RunOnEachThread(const std::function<void(size_t)>& fn) {
  if (workers_.empty() || in_region_.load(std::memory_order_acquire)) {
    for (int i = 0; i < num_threads_; ++i) fn(static_cast<size_t>(i));
    return;
  }
  std::lock_guard<std::mutex> run_lock(run_mutex_);
  in_region_.store(true, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    pinned_ = true;
    pending_.store(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  fn(0);
  WaitUntilZero(pending_);
  in_region_.store(false, std::memory_order_release);
}

void ThreadPool::WaitUntilZero(const std::atomic<size_t>& counter) {
  SpinUntil([&] { return counter.load(std::memory_order_acquire) == 0; }, &caller_spin_);
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return counter.load() == 0; });
  job_ = nullptr;
}

}  // namespace kiln::core
