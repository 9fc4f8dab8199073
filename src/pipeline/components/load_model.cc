// load_model: a registered model version (NAME, NAME/VERSION or NAME@ALIAS) as a model artifact,
// from the run's project or another one the spec allows reading. The version the reference
// resolves to is part of the cache key, so moving an alias re-runs what depends on it.
#include <fmt/format.h>

#include "common.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

Result<track::ModelVersionRecord> Resolve(const core::ParamMap& params,
                                          const PipelineServices& services,
                                          const std::string& who) {
  KILN_ASSIGN_OR_RETURN(int64_t project,
                        services.ProjectFor(params.GetString("project"), false, who));
  track::ModelVersionRecord version;
  KILN_RETURN_IF_ERROR(services.WithStore([&](track::MetaStore& store) -> Status {
    KILN_ASSIGN_OR_RETURN(version, store.registry().Resolve(project, params.GetString("model")));
    return Status::Ok();
  }));
  return version;
}

class LoadModel final : public Component {
 public:
  explicit LoadModel(const core::ParamMap& params) : params_(params) {}

  Status Run(StepContext& step) override {
    KILN_ASSIGN_OR_RETURN(track::ModelVersionRecord version,
                          Resolve(params_, step.services(), "step '" + step.step() + "'"));
    nlohmann::json summary{
        {"algorithm", version.algorithm}, {"model", version.model}, {"version", version.version}};
    Status s = step.WriteExisting("model", ArtifactType::kModel, version.artifact_uri, summary);
    if (!s.ok())
      return s.AddContext(fmt::format("model {}/{}'s file", version.model, version.version));
    KILN_RETURN_IF_ERROR(step.WithStore([&](track::MetaStore& store) {
      return store.lineage().AddEdge({{track::kNodeModelVersion, version.id},
                                      {track::kNodePipelineStep, step.step_id()},
                                      "input_of"});
    }));
    step.Note(fmt::format("{}/{}", version.model, version.version));
    return Status::Ok();
  }

 private:
  core::ParamMap params_;
};

}  // namespace

Status RegisterLoadModel(ComponentRegistry& registry) {
  core::ParamSpec p("load_model");
  p.String("model", "", "NAME (latest version), NAME/VERSION or NAME@ALIAS");
  p.String("project", "", "another project to read from (the spec must allow reading it)");
  ComponentFactory f;
  f.category = "model";
  f.outputs = {{"model", ArtifactType::kModel, "the registered model"}};
  f.create = Make<LoadModel>();
  f.external_key = [](const core::ParamMap& params,
                      const PipelineServices& services) -> Result<std::string> {
    KILN_ASSIGN_OR_RETURN(track::ModelVersionRecord v, Resolve(params, services, "load_model"));
    return v.artifact_uri;
  };
  f.check = [](const core::ParamMap& params) -> Status {
    if (params.GetString("model").empty())
      return core::InvalidArgument("param 'model' is required");
    return Status::Ok();
  };
  return Add(registry, "load_model", "Use a registered model version", std::move(p), std::move(f));
}

}  // namespace kiln::pipeline
