#include "kiln/core/context.h"

#include <thread>

namespace kiln::core {

int ResolveThreads(int requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

Context::Context(ContextOptions options, Logger* logger, ProgressReporter* progress,
                 CancellationToken* cancel)
    : seed_(options.seed), pool_(std::make_unique<ThreadPool>(ResolveThreads(options.threads))) {
  if (logger == nullptr) {
    owned_logger_ = Logger::Null();
    logger = owned_logger_.get();
  }
  if (progress == nullptr) {
    owned_progress_ = std::make_unique<NullProgressReporter>();
    progress = owned_progress_.get();
  }
  if (cancel == nullptr) {
    owned_cancel_ = std::make_unique<CancellationToken>();
    cancel = owned_cancel_.get();
  }
  logger_ = logger;
  progress_ = progress;
  cancel_ = cancel;
}

std::unique_ptr<Context> Context::Child(int threads, uint64_t seed) {
  return std::make_unique<Context>(ContextOptions{threads, seed}, logger_, nullptr, cancel_);
}

}  // namespace kiln::core
