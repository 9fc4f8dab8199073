#include "run_tracker.h"

#include <cmath>
#include <filesystem>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "kiln/core/hash.h"
#include "kiln/core/param_spec.h"
#include "kiln/data/dataset_stats.h"
#include "kiln/track/process_identity.h"

namespace kiln::cli {
namespace {

std::string ContentHash(const std::string& path, const data::Dataset& dataset) {
  if (dataset.source().content_hash != 0) return core::HexDigest(dataset.source().content_hash);
  auto file = core::MappedFile::Open(path);
  if (!file.ok()) return {};
  return core::HexDigest(core::Hash64((*file)->data(), (*file)->size()));
}

}  // namespace

void AddTrackOptions(CLI::App& command, TrackOptions& options) {
  command.add_flag("--no-track", options.no_track,
                   "Do not record this run in the store (see 'kiln runs')");
  command
      .add_option("--experiment", options.experiment,
                  "Experiment the run is recorded under [default: default]")
      ->type_name("NAME");
  command.add_option("--tag", options.tags, "A tag recorded with the run; repeat for more")
      ->type_name("KEY=VALUE")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

core::Result<std::unique_ptr<RunTracker>> RunTracker::Start(
    Session& session, const TrackOptions& options, const std::string& kind,
    const std::map<std::string, std::string>& params) {
  if (options.no_track || !session.HasStore()) return std::unique_ptr<RunTracker>();
  KILN_RETURN_IF_ERROR(track::ValidateName("experiment", options.experiment));
  std::map<std::string, std::string> tags;
  for (const std::string& text : options.tags) {
    auto kv = core::SplitKeyValue(text);
    if (!kv.ok() || kv->first.empty()) {
      return core::InvalidArgument("--tag {}: expected KEY=VALUE with a non-empty KEY", text);
    }
    tags[kv->first] = kv->second;
  }
  session.AllowCreatingStore();
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId(/*create=*/true));
  KILN_ASSIGN_OR_RETURN(track::ExperimentRecord experiment,
                        store->projects().EnsureExperiment(project_id, options.experiment));
  const track::ProcessIdentity self = track::CurrentProcess();
  track::NewRun run;
  run.experiment_id = experiment.id;
  run.kind = kind;
  run.command = session.command_line();
  run.kiln_version = KILN_VERSION;
  run.host = self.host;
  run.pid = self.pid;
  run.pid_start = self.start_ticks;
  run.params = params;
  run.tags = std::move(tags);
  KILN_ASSIGN_OR_RETURN(int64_t run_id, store->runs().Create(run));
  return std::unique_ptr<RunTracker>(new RunTracker(session, *store, project_id, run_id));
}

RunTracker::~RunTracker() {
  if (!finished_) {
    (void)Finish(core::Internal("the command ended without reporting how the run went"));
  }
}

core::Status RunTracker::RecordDataset(const std::string& path, const data::Dataset& dataset,
                                       const std::string& relation) {
  track::NewDatasetVersion version;
  version.source_path = AbsolutePath(path);
  version.name = version.source_path;
  version.content_hash = ContentHash(path, dataset);
  if (version.content_hash.empty()) return core::Status::Ok();  // in-memory data: nothing to pin
  version.format = dataset.source().format;
  version.size_bytes = static_cast<int64_t>(dataset.source().file_bytes);
  version.num_rows = static_cast<int64_t>(dataset.num_rows());
  version.num_columns = static_cast<int64_t>(dataset.num_features());
  version.schema_json =
      dataset.schema().ToJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  version.stats_json = data::DatasetStatsJson(dataset).dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  KILN_ASSIGN_OR_RETURN(track::DatasetVersionRecord record,
                        store_.datasets().Record(project_id_, version));
  return store_.lineage().AddEdge(
      {{track::kNodeDatasetVersion, record.id}, {track::kNodeRun, run_id_}, relation});
}

core::Status RunTracker::LogMetrics(const std::map<std::string, double>& metrics) {
  std::vector<track::MetricPoint> points;
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (const auto& [key, value] : metrics) {
    if (std::isfinite(value)) points.push_back({key, value, 0, now});
  }
  return store_.runs().LogMetrics(run_id_, points);
}

core::Result<track::ModelVersionRecord> RunTracker::RegisterModel(const std::string& name,
                                                                  const std::string& model_path,
                                                                  const std::string& algorithm,
                                                                  const std::string& metrics_json) {
  KILN_ASSIGN_OR_RETURN(track::ArtifactStore * artifacts, session_.Artifacts());
  KILN_ASSIGN_OR_RETURN(track::BlobInfo blob, artifacts->PutFile(model_path));
  KILN_RETURN_IF_ERROR(
      store_.runs().AddArtifact(run_id_, {"model", blob.uri, static_cast<int64_t>(blob.size)}));
  track::NewModelVersion version;
  version.run_id = run_id_;
  version.algorithm = algorithm;
  version.artifact_uri = blob.uri;
  version.metrics_json = metrics_json;
  KILN_ASSIGN_OR_RETURN(track::ModelVersionRecord record,
                        store_.registry().CreateVersion(project_id_, name, version));
  KILN_RETURN_IF_ERROR(store_.lineage().AddEdge(
      {{track::kNodeRun, run_id_}, {track::kNodeModelVersion, record.id}, "produced"}));
  return record;
}

core::Status RunTracker::RecordInputModel(const std::string& model_path) {
  KILN_ASSIGN_OR_RETURN(track::ArtifactStore * artifacts, session_.Artifacts());
  KILN_ASSIGN_OR_RETURN(track::BlobInfo blob, artifacts->PutFile(model_path));
  KILN_RETURN_IF_ERROR(store_.runs().AddArtifact(
      run_id_, {"input_model", blob.uri, static_cast<int64_t>(blob.size)}));
  KILN_ASSIGN_OR_RETURN(std::vector<track::ModelVersionRecord> versions,
                        store_.registry().FindByArtifact(blob.uri));
  for (const track::ModelVersionRecord& v : versions) {
    KILN_RETURN_IF_ERROR(store_.lineage().AddEdge(
        {{track::kNodeModelVersion, v.id}, {track::kNodeRun, run_id_}, "evaluated_by"}));
  }
  return core::Status::Ok();
}

core::Status RunTracker::Finish(const core::Status& result) {
  finished_ = true;
  if (result.ok()) return store_.runs().Finish(run_id_, track::kRunFinished);
  const bool killed = result.code() == core::StatusCode::kCancelled;
  return store_.runs().Finish(run_id_, killed ? track::kRunKilled : track::kRunFailed,
                              result.ToString());
}

std::map<std::string, double> MetricMap(const ml::Evaluation& evaluation) {
  std::map<std::string, double> out;
  for (const auto& [key, value] : evaluation.metrics) {
    if (std::isfinite(value)) out[key] = value;
  }
  return out;
}

core::Result<std::string> ModelNameFromPath(const std::string& path) {
  std::string stem = std::filesystem::path(path).stem().string();
  std::string name;
  for (char c : stem) {
    const bool ok =
        std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
    name += ok ? c : '-';
  }
  while (!name.empty() && std::isalnum(static_cast<unsigned char>(name[0])) == 0) name.erase(0, 1);
  if (name.size() > 128) name.resize(128);
  size_t letters = 0;
  for (char c : name) letters += std::isalnum(static_cast<unsigned char>(c)) != 0 ? 1 : 0;
  // A name that is mostly replaced characters (e.g. from a non-ASCII file name) would make
  // unrelated models versions of one another: ask for a name instead.
  if (letters == 0 || letters * 2 < stem.size()) {
    return core::InvalidArgument(
        "cannot make a model name from the output file '{}': expected letters, digits, '.', '_' "
        "or '-'; name the model with --register NAME (or pass --no-track)",
        path);
  }
  return name;
}

}  // namespace kiln::cli
