// Progress reporting for long steps: a bar with rate and ETA when stderr is a terminal, nothing
// otherwise. A ProgressReporter hands out ProgressTask objects; a task's Add() is thread-safe and
// cheap (an atomic add; rendering is throttled to a few times per second).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

namespace kiln::core {

class ProgressTask {
 public:
  virtual ~ProgressTask() = default;
  // Thread-safe.
  virtual void Add(uint64_t amount) = 0;
  // Sets the absolute position (for iteration counters). Thread-safe.
  virtual void Set(uint64_t position) = 0;
  // Replaces the status text shown after the bar (e.g. "loss 0.4132"). Thread-safe.
  virtual void SetNote(std::string note) = 0;
  // Draws the final state and ends the line. Called by the destructor if not called before.
  virtual void Finish() = 0;
};

class ProgressReporter {
 public:
  virtual ~ProgressReporter() = default;
  // `total` may be 0 when unknown (then no ETA is shown). `unit` is "B" for bytes (shown as
  // MB/s), or a word such as "rows" or "iter".
  virtual std::unique_ptr<ProgressTask> Start(std::string label, uint64_t total,
                                              std::string unit) = 0;
};

// Reports nothing.
class NullProgressReporter final : public ProgressReporter {
 public:
  std::unique_ptr<ProgressTask> Start(std::string label, uint64_t total, std::string unit) override;
};

// Draws a bar on `out` (normally stderr). Use only when `out` is a terminal.
class TerminalProgressReporter final : public ProgressReporter {
 public:
  explicit TerminalProgressReporter(std::FILE* out) : out_(out) {}
  std::unique_ptr<ProgressTask> Start(std::string label, uint64_t total, std::string unit) override;

 private:
  std::FILE* out_;
  std::mutex draw_mutex_;
};

// True if the file descriptor is a terminal.
bool IsTerminal(int fd);

// "1.2 MB", "340 KB"; used by progress and messages.
std::string HumanBytes(double bytes);
// "3s", "2m05s", "1h02m".
std::string HumanDuration(double seconds);

}  // namespace kiln::core
