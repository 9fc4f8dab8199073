// RunTracker: records one `kiln train` / `kiln evaluate` in the MetaStore — the run with its
// params, command line, version and host; the input dataset versions; metrics; the produced
// model version (its file kept as a content-addressed blob); and the lineage edges between them.
// The run is created "running" and always ends finished, failed or killed: Finish() sets the
// outcome from the command's Status, and a tracker destroyed without Finish() marks it failed.
// A process killed outright leaves it running until the next kiln on the host marks it failed.
// Private to src/cli.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/data/dataset.h"
#include "kiln/ml/evaluation.h"
#include "kiln/track/records.h"
#include "session.h"

namespace kiln::cli {

// The flags train and evaluate share for tracking.
struct TrackOptions {
  bool no_track = false;
  std::string experiment = "default";
  std::vector<std::string> tags;  // "key=value"
};
void AddTrackOptions(CLI::App& command, TrackOptions& options);

class RunTracker {
 public:
  // Starts a run, or returns nullptr when tracking is off (--no-track).
  static core::Result<std::unique_ptr<RunTracker>> Start(
      Session& session, const TrackOptions& options, const std::string& kind,
      const std::map<std::string, std::string>& params);
  ~RunTracker();
  RunTracker(const RunTracker&) = delete;
  RunTracker& operator=(const RunTracker&) = delete;

  int64_t run_id() const { return run_id_; }

  // Records the dataset version of `path` (content hash, schema, rows, per-column statistics)
  // and the edge dataset_version -> run with `relation` ("train_data", "valid_data", ...).
  core::Status RecordDataset(const std::string& path, const data::Dataset& dataset,
                             const std::string& relation);
  core::Status LogMetrics(const std::map<std::string, double>& metrics);
  // Stores the model file as a blob, registers it as a new version of `name` with this run as
  // its source, and adds run -> model_version ("produced").
  core::Result<track::ModelVersionRecord> RegisterModel(const std::string& name,
                                                        const std::string& model_path,
                                                        const std::string& algorithm,
                                                        const std::string& metrics_json);
  // Records `model_path` as this run's input model: the model version with the same content (if
  // it was registered) gets the edge model_version -> run ("evaluated_by").
  core::Status RecordInputModel(const std::string& model_path);
  // finished if `result` is OK, killed if it was cancelled, failed otherwise (with its message).
  core::Status Finish(const core::Status& result);

 private:
  RunTracker(Session& session, track::MetaStore& store, int64_t project_id, int64_t run_id)
      : session_(session), store_(store), project_id_(project_id), run_id_(run_id) {}
  Session& session_;
  track::MetaStore& store_;
  int64_t project_id_;
  int64_t run_id_;
  bool finished_ = false;
};

// The metrics of an evaluation as name -> value (undefined metrics left out).
std::map<std::string, double> MetricMap(const ml::Evaluation& evaluation);
// A registry name from a model file name: "out/churn v2.kiln" -> "churn-v2"; kInvalidArgument
// asking for --register when the name has too few usable characters ("模型.kiln").
core::Result<std::string> ModelNameFromPath(const std::string& path);

}  // namespace kiln::cli
