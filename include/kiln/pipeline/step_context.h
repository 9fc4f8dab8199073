// StepContext: everything one running step may touch — its params and input artifacts, a
// core::Context (threads, seed, logger, cancellation), the ArtifactStore its outputs go to, the
// MetaStore (behind the executor's lock) and the pipeline's project access rules. Made by the
// executor for one attempt of one step and used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/core/context.h"
#include "kiln/core/param_spec.h"
#include "kiln/core/result.h"
#include "kiln/data/dataset.h"
#include "kiln/ml/algorithm_registry.h"
#include "kiln/ml/model.h"
#include "kiln/pipeline/artifact.h"
#include "kiln/track/artifact_store.h"
#include "kiln/track/meta_store.h"

namespace kiln::pipeline {

// What every step of one pipeline run shares. Borrowed pointers; the executor keeps them alive.
struct PipelineServices {
  track::MetaStore* store = nullptr;
  std::mutex* store_mutex = nullptr;  // held around every use of `store`
  const track::ArtifactStore* artifacts = nullptr;
  const ml::AlgorithmRegistry* algorithms = nullptr;
  int64_t project_id = 0;
  std::string project;
  int64_t experiment_id = 0;
  int64_t pipeline_run_id = 0;
  std::string pipeline;
  // Other projects the spec lets this run read from / write to (`access:` in the spec).
  std::vector<std::string> read_projects;
  std::vector<std::string> write_projects;
  std::string workdir;  // relative paths in params resolve from here
  std::string command_line;

  // Runs `fn` with the MetaStore while holding store_mutex.
  core::Status WithStore(const std::function<core::Status(track::MetaStore&)>& fn) const;
  // The id of `project` ("" = the run's own) for reading or writing. Another project needs the
  // spec's permission (access: {read: [...], write: [...]}; write implies read);
  // kPermissionDenied naming `who` otherwise.
  core::Result<int64_t> ProjectFor(const std::string& project, bool write,
                                   const std::string& who) const;
  // A path from a param, made absolute against workdir.
  std::string ResolvePath(const std::string& path) const;
};

class StepContext {
 public:
  StepContext(const PipelineServices& services, std::string step, int64_t step_id,
              const core::ParamMap& params, std::map<std::string, std::vector<Artifact>> inputs,
              core::Context& ctx);

  const std::string& step() const { return step_; }
  int64_t step_id() const { return step_id_; }
  core::Context& ctx() { return ctx_; }
  const core::ParamMap& params() const { return params_; }
  const PipelineServices& services() const { return services_; }

  bool HasInput(std::string_view port) const;
  // The first artifact bound to a port validation made sure is bound (asserts otherwise).
  const Artifact& Input(std::string_view port) const;
  // Every artifact bound to a port (empty when unbound).
  const std::vector<Artifact>& Inputs(std::string_view port) const;

  core::Result<data::Dataset> ReadDataset(const Artifact& artifact) const;
  core::Result<std::unique_ptr<ml::Model>> ReadModel(const Artifact& artifact) const;
  core::Result<nlohmann::json> ReadJson(const Artifact& artifact) const;

  core::Status WriteDataset(const std::string& port, const data::Dataset& dataset);
  core::Status WriteModel(const std::string& port, const ml::Model& model);
  // Metrics or report outputs; `summary` defaults to the document itself when it is small.
  core::Status WriteJson(const std::string& port, ArtifactType type, const nlohmann::json& doc);
  // An output that is already a blob of the store (a registered model's file), after checking
  // that it exists.
  core::Status WriteExisting(const std::string& port, ArtifactType type, const std::string& uri,
                             nlohmann::json summary);
  const std::map<std::string, Artifact>& outputs() const { return outputs_; }

  // A path from a param, made absolute against the pipeline's working directory.
  std::string ResolvePath(const std::string& path) const;

  // Runs `fn` with the MetaStore while holding the executor's store lock.
  core::Status WithStore(const std::function<core::Status(track::MetaStore&)>& fn) const {
    return services_.WithStore(fn);
  }
  // See PipelineServices::ProjectFor.
  core::Result<int64_t> ProjectFor(const std::string& project, bool write) const {
    return services_.ProjectFor(project, write, "step '" + step_ + "'");
  }

  // Records a finished run of `kind` ("train", "evaluate") for this step, with its params and
  // metrics, in the pipeline's experiment, and the lineage edge step -> run ("recorded_as").
  core::Result<int64_t> RecordRun(const std::string& kind,
                                  const std::map<std::string, std::string>& params,
                                  const std::map<std::string, double>& metrics);
  std::optional<int64_t> run_id() const { return run_id_; }

  // A short line shown after the step's status ("auc 0.8574", "1,234 rows").
  void Note(std::string text) { note_ = std::move(text); }
  const std::string& note() const { return note_; }

 private:
  core::Status Adopt(const std::string& port, ArtifactType type, const std::string& path,
                     nlohmann::json summary);
  std::string TempPath(std::string_view what) const;

  const PipelineServices& services_;
  std::string step_;
  int64_t step_id_;
  const core::ParamMap& params_;
  std::map<std::string, std::vector<Artifact>> inputs_;
  core::Context& ctx_;
  std::map<std::string, Artifact> outputs_;
  std::optional<int64_t> run_id_;
  std::string note_;
};

// Rows, columns and their names of a dataset, as stored in its artifact's summary.
nlohmann::json DatasetSummary(const data::Dataset& dataset);

}  // namespace kiln::pipeline
