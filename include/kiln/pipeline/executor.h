// Executor: runs a Plan on this machine. Steps run in topological order, up to `parallel` at
// once on their own threads; each is recorded in the MetaStore (a pipeline run is a run of kind
// "pipeline" with one pipeline_steps row per step, their artifacts and lineage edges).
//
// - Caching: a step's cache key is the XXH3-128 of its component, the component's version, its
//   resolved params, the content addresses of its input artifacts and any external content the
//   component names (the bytes of a file a read step reads). A step whose key matches a
//   finished step of the same project, whose outputs are all still in the ArtifactStore, is not
//   run: its outputs are reused ("cached"). Changing one param changes that step's key and, as
//   its outputs change, the keys of the steps downstream — nothing else re-runs. `use_cache`
//   false or a step's `cache: false` always runs it.
// - Resume: with `resume_from`, a step that finished in that run with the same cache key is
//   reused whatever the cache settings; failed, skipped and never-run steps run.
// - Retries: a failed attempt is retried `retries` times after retry_delay, 2x retry_delay, ...;
//   a timed-out attempt (timeout_seconds, cooperative: the step's Context is cancelled) counts
//   as failed. A step that fails for good skips everything downstream of it; the other branches
//   run to the end.
// - Cancellation: when `cancel` is set (Ctrl-C), running steps are cancelled, nothing new starts,
//   and the pipeline run ends "killed".
// - Durability: step outputs are put into the ArtifactStore without an fsync each and flushed
//   together (syncfs) when the run ends; a cached output is only reused when its blob has the
//   size that was recorded, so one cut short by a power loss is made again.
// Thread-safety: one Run at a time per Executor; the MetaStore is only used under its own lock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kiln/core/cancellation.h"
#include "kiln/core/logging.h"
#include "kiln/core/result.h"
#include "kiln/ml/algorithm_registry.h"
#include "kiln/pipeline/artifact.h"
#include "kiln/pipeline/plan.h"
#include "kiln/track/artifact_store.h"
#include "kiln/track/meta_store.h"

namespace kiln::pipeline {

enum class StepState { kPending, kRunning, kFinished, kCached, kFailed, kSkipped, kCancelled };
std::string_view StepStateName(StepState state);

struct ExecutorOptions {
  int parallel = 1;    // steps running at once
  int threads = 0;     // threads of each step's Context; 0 = the machine's / parallel
  uint64_t seed = 42;  // each step's Context seed
  bool use_cache = true;
  std::optional<int64_t> resume_from;
  int64_t project_id = 0;
  std::string project = "default";
  std::string experiment;  // "" = the pipeline's name
  std::string command_line;
  std::string workdir;  // relative paths in params resolve from here ("" = the process's)
  std::optional<int64_t> schedule_id;
  std::optional<int64_t> scheduled_ms;
};

struct StepEvent {
  size_t step = 0;  // index into Plan::steps
  StepState state = StepState::kPending;
  int attempt = 0;      // 1-based, for running / failed attempts
  double seconds = 0;   // elapsed in this state's attempt (finished, failed, ...)
  std::string message;  // why it failed or was skipped; where a cached result came from
  std::string note;     // the component's one-line summary
  bool will_retry = false;
};

// Told about every step state change, from the executor's threads (calls are serialised).
class ExecutionObserver {
 public:
  virtual ~ExecutionObserver() = default;
  virtual void OnStart(const Plan& plan, int64_t run_id) = 0;
  virtual void OnStep(const Plan& plan, const StepEvent& event) = 0;
};

struct StepOutcome {
  StepState state = StepState::kPending;
  core::StatusCode code = core::StatusCode::kOk;  // of the failure, when failed
  int attempts = 0;
  double seconds = 0;
  std::string message;
  std::string note;
  int64_t step_id = 0;
  std::map<std::string, Artifact> outputs;
};

struct RunOutcome {
  int64_t run_id = 0;
  std::string status;  // finished, failed, killed
  std::vector<StepOutcome> steps;
  double seconds = 0;
};

class Executor {
 public:
  Executor(const ml::AlgorithmRegistry& algorithms, track::MetaStore& store,
           const track::ArtifactStore& artifacts, core::Logger& logger)
      : algorithms_(algorithms), store_(store), artifacts_(artifacts), logger_(logger) {}

  // Records and runs the plan. The Result is an error only when the run could not be recorded
  // or started; step failures are in the outcome (status "failed").
  core::Result<RunOutcome> Run(const Plan& plan, const ExecutorOptions& options,
                               ExecutionObserver* observer, const core::CancellationToken& cancel);

 private:
  const ml::AlgorithmRegistry& algorithms_;
  track::MetaStore& store_;
  const track::ArtifactStore& artifacts_;
  core::Logger& logger_;
};

}  // namespace kiln::pipeline
