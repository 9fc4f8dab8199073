#include "kiln/core/thread_pool.h"

namespace kiln::core {

ThreadPool::ThreadPool(int num_threads) : num_threads_(std::max(1, num_threads)) {
  for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this] { WorkerLoop(); });
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

void ThreadPool::WorkerLoop() {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      if (job_ == nullptr) continue;  // woke after the region already finished
      ++active_;
    }
    Drain();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--active_ == 0) done_.notify_all();
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
    next_.store(0, std::memory_order_relaxed);
    ++generation_;
    ++active_;  // the caller
  }
  wake_.notify_all();
  Drain();
  {
    std::unique_lock<std::mutex> lock(mutex_);
    --active_;
    done_.wait(lock, [&] { return active_ == 0; });
    job_ = nullptr;
  }
  in_region_.store(false, std::memory_order_release);
}

}  // namespace kiln::core
