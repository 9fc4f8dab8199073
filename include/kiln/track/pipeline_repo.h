// PipelineRepo: pipeline runs, their steps and the artifacts each step made, plus the cache
// lookup the executor does before running a step. A pipeline run is a `runs` row of kind
// "pipeline" (created with RunRepo); this repo keeps what only a pipeline has. Step outputs are
// blob URIs of the ArtifactStore, so they count as referenced for garbage collection.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/track/records.h"
#include "kiln/track/sql_connection.h"

namespace kiln::track {

// Step status values, as stored.
inline constexpr const char* kStepPending = "pending";
inline constexpr const char* kStepRunning = "running";
inline constexpr const char* kStepFinished = "finished";
inline constexpr const char* kStepCached = "cached";
inline constexpr const char* kStepFailed = "failed";
inline constexpr const char* kStepSkipped = "skipped";
inline constexpr const char* kStepCancelled = "cancelled";

struct NewPipelineRun {
  int64_t run_id = 0;  // the runs row (kind "pipeline") already created
  std::string pipeline;
  std::string spec_path;
  std::string spec_text;
  std::string spec_hash;
  std::string params_json = "{}";
  std::optional<int64_t> resumed_from;
  std::optional<int64_t> schedule_id;
  std::optional<int64_t> scheduled_ms;
};

struct PipelineArtifactRecord {
  std::string port;
  std::string type;  // dataset, model, metrics, report
  std::string uri;
  int64_t size_bytes = 0;
  std::string summary_json = "{}";
};

struct PipelineStepRecord {
  int64_t id = 0;
  int64_t pipeline_run_id = 0;
  std::string step;
  std::string component;
  int64_t component_version = 0;
  std::string cache_key;
  std::string status;
  int64_t attempts = 0;
  std::optional<int64_t> start_ms;
  std::optional<int64_t> end_ms;
  std::string message;
  std::optional<int64_t> cached_from;
  std::optional<int64_t> run_id;
  std::vector<PipelineArtifactRecord> artifacts;
};

struct PipelineRunRecord {
  RunRecord run;
  std::string pipeline;
  std::string spec_path;
  std::string spec_text;
  std::string spec_hash;
  std::string params_json;
  std::optional<int64_t> resumed_from;
  std::optional<int64_t> schedule_id;
  std::optional<int64_t> scheduled_ms;
  std::vector<PipelineStepRecord> steps;  // in the order they were added (the plan's order)
};

// What changes when a step starts, retries or ends.
struct StepUpdate {
  std::string status;
  std::string cache_key;  // "" = unchanged
  int64_t attempts = 0;
  std::optional<int64_t> start_ms;
  std::optional<int64_t> end_ms;
  std::string message;
  std::optional<int64_t> cached_from;
  std::optional<int64_t> run_id;
};

class PipelineRepo {
 public:
  explicit PipelineRepo(SqlConnection& db) : db_(db) {}

  core::Status CreateRun(const NewPipelineRun& run);
  // Adds every step of a run at once (status pending), returning their ids in order.
  core::Result<std::vector<int64_t>> AddSteps(int64_t pipeline_run_id,
                                              const std::vector<PipelineStepRecord>& steps);
  core::Status UpdateStep(int64_t step_id, const StepUpdate& update);
  // Ends a step with its outputs in one transaction.
  core::Status FinishStep(int64_t step_id, const StepUpdate& update,
                          const std::vector<PipelineArtifactRecord>& artifacts);

  // The newest finished step of `project_id` with this cache key whose run is not deleted,
  // with its artifacts; nullopt when there is none.
  core::Result<std::optional<PipelineStepRecord>> FindCached(int64_t project_id,
                                                             const std::string& cache_key);
  // One step with its artifacts; kNotFound if unknown.
  core::Result<PipelineStepRecord> GetStep(int64_t step_id);

  // The run with its steps and their artifacts; kNotFound naming `kiln pipelines runs` for an
  // id that is not a pipeline run.
  core::Result<PipelineRunRecord> Get(int64_t run_id);
  // The newest pipeline runs of a project, newest first, optionally of one pipeline.
  core::Result<std::vector<PipelineRunRecord>> List(int64_t project_id, const std::string& pipeline,
                                                    int64_t limit);

 private:
  core::Status FillArtifacts(PipelineStepRecord& step);
  core::Result<std::vector<PipelineStepRecord>> Steps(int64_t pipeline_run_id);
  SqlConnection& db_;
};

}  // namespace kiln::track
