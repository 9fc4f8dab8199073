// Context: what every long-running Kiln operation needs from its caller — a thread pool, a seed,
// a logger, a progress reporter and a cancellation token. Passed explicitly by reference; there is
// no global context. The Context owns its thread pool; logger, progress and cancellation are
// borrowed (the caller keeps them alive) or default to owned silent ones.
// Thread-safety: the accessors are thread-safe; the Context itself must outlive the work.
#pragma once

#include <cstdint>
#include <memory>

#include "kiln/core/cancellation.h"
#include "kiln/core/logging.h"
#include "kiln/core/progress.h"
#include "kiln/core/thread_pool.h"

namespace kiln::core {

struct ContextOptions {
  int threads = 0;     // 0: one per hardware thread
  uint64_t seed = 42;  // the root of every random choice
};

class Context {
 public:
  explicit Context(ContextOptions options = {}, Logger* logger = nullptr,
                   ProgressReporter* progress = nullptr, CancellationToken* cancel = nullptr);
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  int threads() const { return pool_->num_threads(); }
  uint64_t seed() const { return seed_; }
  ThreadPool& pool() { return *pool_; }
  Logger& logger() { return *logger_; }
  ProgressReporter& progress() { return *progress_; }
  const CancellationToken& cancellation() const { return *cancel_; }
  // OK, or kCancelled naming `what`.
  Status CheckCancelled(std::string_view what) const { return cancel_->Check(what); }
  // A context for one of several pieces of work run side by side inside this one (say, one model
  // of an ensemble trained on one pool thread): its own pool of `threads` threads and `seed`,
  // this context's logger and cancellation token, and silent progress. Must not outlive this one.
  std::unique_ptr<Context> Child(int threads, uint64_t seed);

 private:
  uint64_t seed_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<Logger> owned_logger_;
  std::unique_ptr<ProgressReporter> owned_progress_;
  std::unique_ptr<CancellationToken> owned_cancel_;
  Logger* logger_;
  ProgressReporter* progress_;
  CancellationToken* cancel_;
};

// Threads to use when the user asked for `requested` (0 = hardware concurrency).
int ResolveThreads(int requested);

}  // namespace kiln::core
