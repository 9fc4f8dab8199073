// CancellationToken: a flag that long-running work polls to stop early (Ctrl-C, deadlines).
// Thread-safe. Owned by whoever starts the work (the CLI's main, a server request); passed down
// by pointer through Context.
#pragma once

#include <atomic>

#include "kiln/core/status.h"

namespace kiln::core {

class CancellationToken {
 public:
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  // OK, or kCancelled naming what was interrupted.
  Status Check(std::string_view what) const {
    if (!cancelled()) return Status::Ok();
    return Cancelled("{} was cancelled", what);
  }
  // For signal handlers: the raw flag (lock-free atomic<bool> is async-signal-safe).
  std::atomic<bool>* flag() { return &cancelled_; }

 private:
  std::atomic<bool> cancelled_{false};
};

}  // namespace kiln::core
