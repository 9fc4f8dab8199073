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

// Draws a bar on `out` (normally stderr), redrawn in place on one line that never exceeds the
// terminal's width: label, bar, percentage, rate and ETA while running; the amount done, time and
// rate when finished (or where it stopped, when it ends short of its total). A task that ends
// before `delay_seconds` draws nothing, so quick steps leave no trace. Use only when `out` is a
// terminal. One task at a time: concurrent tasks would share the line.
class TerminalProgressReporter final : public ProgressReporter {
 public:
  struct Options {
    int width = 0;               // columns; 0 = ask the terminal (80 when it does not say)
    double delay_seconds = 0.3;  // nothing is drawn before this much time has passed
  };
  explicit TerminalProgressReporter(std::FILE* out) : TerminalProgressReporter(out, Options()) {}
  TerminalProgressReporter(std::FILE* out, Options options) : out_(out), options_(options) {}
  std::unique_ptr<ProgressTask> Start(std::string label, uint64_t total, std::string unit) override;

 private:
  std::FILE* out_;
  Options options_;
  std::mutex draw_mutex_;
};

// True if the file descriptor is a terminal.
bool IsTerminal(int fd);

// "1.2 MB", "340 KB"; used by progress and messages.
std::string HumanBytes(double bytes);
// "950", "9999", "12.3k", "1.53M": exact below 10000, else three significant digits (one
// decimal under 10 when `fraction`, e.g. for rates: "2.5").
std::string HumanCount(double count, bool fraction = false);
// "3s", "2m05s", "1h02m".
std::string HumanDuration(double seconds);

}  // namespace kiln::core
