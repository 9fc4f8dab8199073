// StepRunner: one step of one pipeline run on its own thread — cache key, resume/cache lookup,
// attempts with retries, backoff and timeouts, and the records of each state. The executor's
// main loop owns the schedule and talks to a running step only through its StepControl.
// Private to src/pipeline.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "kiln/core/cancellation.h"
#include "kiln/core/logging.h"
#include "kiln/pipeline/executor.h"
#include "kiln/pipeline/step_context.h"
#include "kiln/track/pipeline_repo.h"

namespace kiln::pipeline {

// What the main loop and a running step share: the current attempt's token and deadline.
// Thread-safe.
class StepControl {
 public:
  using Clock = std::chrono::steady_clock;
  // The attempt starts; the token outlives the attempt (cleared by EndAttempt).
  void BeginAttempt(core::CancellationToken* token, std::optional<Clock::time_point> deadline);
  void EndAttempt();
  // Main loop: cancels the attempt if its deadline has passed (then TimedOut() is true).
  void CheckDeadline(Clock::time_point now);
  // Main loop: the whole run is being cancelled.
  void CancelAll();
  bool cancelled_all() const;
  bool TimedOut() const;

 private:
  mutable std::mutex mu_;
  core::CancellationToken* token_ = nullptr;
  std::optional<Clock::time_point> deadline_;
  bool timed_out_ = false;
  bool cancel_all_ = false;
};

// What every step of a run shares (owned by Executor::Run).
struct RunShared {
  const Plan* plan = nullptr;
  const ExecutorOptions* options = nullptr;
  PipelineServices services;
  core::Logger* logger = nullptr;
  ExecutionObserver* observer = nullptr;
  std::mutex observer_mutex;
  std::vector<StepOutcome> outcomes;  // a step's entry is written by its runner only
  std::vector<int64_t> step_ids;      // pipeline_steps ids, by plan index
  // Steps of the resumed run that finished, by name.
  std::map<std::string, track::PipelineStepRecord> resumable;
  int step_threads = 1;

  void Notify(const StepEvent& event);
};

// Runs step `index` to a final state and fills shared.outcomes[index]. Never throws.
void RunStep(RunShared& shared, size_t index, StepControl& control);

// Records a step that never ran (skipped or cancelled) and tells the observer.
void RecordUnrun(RunShared& shared, size_t index, StepState state, const std::string& message);

}  // namespace kiln::pipeline
