#include "kiln/pipeline/step_context.h"

#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <filesystem>

#include "kiln/core/file.h"
#include "kiln/data/dataset_cache.h"
#include "kiln/ml/model_io.h"
#include "kiln/track/process_identity.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

const std::vector<Artifact>& NoArtifacts() {
  static const std::vector<Artifact> kEmpty;
  return kEmpty;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

nlohmann::json DatasetSummary(const data::Dataset& dataset) {
  nlohmann::json s;
  s["rows"] = dataset.num_rows();
  s["sparse"] = dataset.is_sparse();
  s["features"] = dataset.num_features();
  if (!dataset.is_sparse()) {
    nlohmann::json names = nlohmann::json::array();
    for (const data::Column& c : dataset.columns()) {
      if (names.size() == 64) break;  // a summary, not a schema
      names.push_back(c.name);
    }
    s["columns"] = std::move(names);
  }
  if (dataset.label() != nullptr) s["label"] = dataset.label()->name;
  return s;
}

StepContext::StepContext(const PipelineServices& services, std::string step, int64_t step_id,
                         const core::ParamMap& params,
                         std::map<std::string, std::vector<Artifact>> inputs, core::Context& ctx)
    : services_(services),
      step_(std::move(step)),
      step_id_(step_id),
      params_(params),
      inputs_(std::move(inputs)),
      ctx_(ctx) {}

bool StepContext::HasInput(std::string_view port) const {
  auto it = inputs_.find(std::string(port));
  return it != inputs_.end() && !it->second.empty();
}

const Artifact& StepContext::Input(std::string_view port) const {
  const std::vector<Artifact>& all = Inputs(port);
  assert(!all.empty() && "validation binds every required input");
  return all.front();
}

const std::vector<Artifact>& StepContext::Inputs(std::string_view port) const {
  auto it = inputs_.find(std::string(port));
  return it == inputs_.end() ? NoArtifacts() : it->second;
}

Result<data::Dataset> StepContext::ReadDataset(const Artifact& artifact) const {
  if (artifact.type != ArtifactType::kDataset)
    return core::InvalidArgument("expected a dataset artifact, found a {} ({})",
                                 ArtifactTypeName(artifact.type), artifact.uri);
  KILN_ASSIGN_OR_RETURN(std::string path, services_.artifacts->PathFor(artifact.uri));
  return data::DatasetCache::ReadBinary(path);
}

Result<std::unique_ptr<ml::Model>> StepContext::ReadModel(const Artifact& artifact) const {
  if (artifact.type != ArtifactType::kModel)
    return core::InvalidArgument("expected a model artifact, found a {} ({})",
                                 ArtifactTypeName(artifact.type), artifact.uri);
  KILN_ASSIGN_OR_RETURN(std::string path, services_.artifacts->PathFor(artifact.uri));
  return ml::LoadModel(path, *services_.algorithms);
}

Result<nlohmann::json> StepContext::ReadJson(const Artifact& artifact) const {
  KILN_ASSIGN_OR_RETURN(std::string text, services_.artifacts->ReadVerified(artifact.uri));
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded())
    return core::Corrupt("{} artifact {} is not valid JSON", ArtifactTypeName(artifact.type),
                         artifact.uri);
  return doc;
}

Status StepContext::Adopt(const std::string& port, ArtifactType type, const std::string& path,
                          nlohmann::json summary) {
  KILN_ASSIGN_OR_RETURN(track::BlobInfo blob,
                        services_.artifacts->MoveIn(path, track::Durability::kDeferred));
  Artifact a;
  a.type = type;
  a.uri = blob.uri;
  a.size_bytes = static_cast<int64_t>(blob.size);
  a.summary = std::move(summary);
  outputs_[port] = std::move(a);
  return Status::Ok();
}

Status StepContext::WriteDataset(const std::string& port, const data::Dataset& dataset) {
  KILN_ASSIGN_OR_RETURN(std::string path, services_.artifacts->NewTempPath("dataset"));
  Status s = data::DatasetCache::WriteBinary(path, dataset);
  if (!s.ok()) {
    ::unlink(path.c_str());
    return s.AddContext(fmt::format("while writing output '{}' of step '{}'", port, step_));
  }
  return Adopt(port, ArtifactType::kDataset, path, DatasetSummary(dataset));
}

Status StepContext::WriteModel(const std::string& port, const ml::Model& model) {
  KILN_ASSIGN_OR_RETURN(std::string path, services_.artifacts->NewTempPath("model"));
  Status s = ml::SaveModel(model, path);
  if (!s.ok()) {
    ::unlink(path.c_str());
    return s.AddContext(fmt::format("while writing output '{}' of step '{}'", port, step_));
  }
  nlohmann::json summary;
  summary["algorithm"] = model.info().algorithm;
  summary["task"] = std::string(ml::TaskName(model.info().label.task));
  summary["label"] = model.info().label.name;
  return Adopt(port, ArtifactType::kModel, path, std::move(summary));
}

Status StepContext::WriteJson(const std::string& port, ArtifactType type,
                              const nlohmann::json& doc) {
  const std::string text = doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  KILN_ASSIGN_OR_RETURN(track::BlobInfo blob,
                        services_.artifacts->PutBytes(text, track::Durability::kDeferred));
  Artifact a;
  a.type = type;
  a.uri = blob.uri;
  a.size_bytes = static_cast<int64_t>(blob.size);
  a.summary = text.size() <= 4096 ? doc : nlohmann::json{{"bytes", text.size()}};
  outputs_[port] = std::move(a);
  return Status::Ok();
}

std::string PipelineServices::ResolvePath(const std::string& path) const {
  if (path.empty()) return path;
  std::filesystem::path p(path);
  if (p.is_absolute() || workdir.empty()) return p.lexically_normal().string();
  return (std::filesystem::path(workdir) / p).lexically_normal().string();
}

Status PipelineServices::WithStore(const std::function<Status(track::MetaStore&)>& fn) const {
  std::lock_guard<std::mutex> lock(*store_mutex);
  return fn(*store);
}

Result<int64_t> PipelineServices::ProjectFor(const std::string& name, bool write,
                                             const std::string& who) const {
  if (name.empty() || name == project) return project_id;
  auto listed = [&](const std::vector<std::string>& list) {
    return std::find(list.begin(), list.end(), name) != list.end();
  };
  if (!(listed(write_projects) || (!write && listed(read_projects)))) {
    return core::PermissionDenied(
        "{} would {} project '{}' from a run in project '{}'; a pipeline may only touch other "
        "projects its spec names (access: {{{}: [{}]}})",
        who, write ? "write to" : "read from", name, project, write ? "write" : "read", name);
  }
  int64_t id = 0;
  KILN_RETURN_IF_ERROR(WithStore([&](track::MetaStore& store) -> Status {
    KILN_ASSIGN_OR_RETURN(track::ProjectRecord record,
                          write ? store.projects().Ensure(name) : store.projects().Find(name));
    id = record.id;
    return Status::Ok();
  }));
  return id;
}

std::string StepContext::ResolvePath(const std::string& path) const {
  return services_.ResolvePath(path);
}

Status StepContext::WriteExisting(const std::string& port, ArtifactType type,
                                  const std::string& uri, nlohmann::json summary) {
  KILN_ASSIGN_OR_RETURN(std::string path, services_.artifacts->PathFor(uri));
  KILN_ASSIGN_OR_RETURN(core::FileStat st, core::StatFile(path));
  Artifact a;
  a.type = type;
  a.uri = uri;
  a.size_bytes = static_cast<int64_t>(st.size);
  a.summary = std::move(summary);
  outputs_[port] = std::move(a);
  return Status::Ok();
}

Result<int64_t> StepContext::RecordRun(const std::string& kind,
                                       const std::map<std::string, std::string>& params,
                                       const std::map<std::string, double>& metrics) {
  const track::ProcessIdentity me = track::CurrentProcess();
  int64_t id = 0;
  KILN_RETURN_IF_ERROR(WithStore([&](track::MetaStore& store) -> Status {
    track::NewRun run;
    run.experiment_id = services_.experiment_id;
    run.kind = kind;
    run.command = services_.command_line;
    run.kiln_version = KILN_VERSION;
    run.host = me.host;
    run.pid = me.pid;
    run.pid_start = me.start_ticks;
    run.params = params;
    run.tags = {{"pipeline", services_.pipeline},
                {"pipeline_run", std::to_string(services_.pipeline_run_id)},
                {"step", step_}};
    KILN_ASSIGN_OR_RETURN(id, store.runs().Create(run));
    std::vector<track::MetricPoint> points;
    const int64_t now = NowMs();
    for (const auto& [key, value] : metrics) {
      if (std::isfinite(value)) points.push_back({key, value, 0, now});
    }
    KILN_RETURN_IF_ERROR(store.runs().LogMetrics(id, points));
    KILN_RETURN_IF_ERROR(store.runs().Finish(id, track::kRunFinished));
    return store.lineage().AddEdge(
        {{track::kNodePipelineStep, step_id_}, {track::kNodeRun, id}, "recorded_as"});
  }));
  run_id_ = id;
  return id;
}

}  // namespace kiln::pipeline
