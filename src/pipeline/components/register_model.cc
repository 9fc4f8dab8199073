// register_model: a model into the registry as a new version of `name` (in the run's project,
// or another one the spec allows writing to), optionally pointing an alias at it. Registering the
// same model file again under the same name reuses its version.
#include <fmt/format.h>

#include "common.h"
#include "kiln/track/project_repo.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

class RegisterModelStep final : public Component {
 public:
  explicit RegisterModelStep(const core::ParamMap& params) : params_(params) {}

  Status Run(StepContext& step) override {
    const Artifact& model = step.Input("model");
    const std::string& name = params_.GetString("name");
    const std::string& alias = params_.GetString("alias");
    KILN_ASSIGN_OR_RETURN(int64_t project, step.ProjectFor(params_.GetString("project"), true));
    track::ModelVersionRecord version;
    bool reused = false;
    KILN_RETURN_IF_ERROR(step.WithStore([&](track::MetaStore& store) -> Status {
      Result<track::ModelRecord> existing = store.registry().Get(project, name);
      if (existing.ok()) {
        for (const track::ModelVersionRecord& v : existing->versions) {
          if (v.artifact_uri == model.uri) {
            version = v;
            reused = true;
          }
        }
      }
      if (!reused) {
        track::NewModelVersion nv;
        nv.run_id = step.services().pipeline_run_id;
        nv.algorithm = model.summary.value("algorithm", "");
        nv.artifact_uri = model.uri;
        KILN_ASSIGN_OR_RETURN(version, store.registry().CreateVersion(project, name, nv));
      }
      if (!alias.empty())
        KILN_RETURN_IF_ERROR(store.registry().SetAlias(project, name, alias, version.version));
      KILN_RETURN_IF_ERROR(store.lineage().AddEdge({{track::kNodePipelineStep, step.step_id()},
                                                    {track::kNodeModelVersion, version.id},
                                                    "registered"}));
      return store.lineage().AddEdge({{track::kNodeRun, step.services().pipeline_run_id},
                                      {track::kNodeModelVersion, version.id},
                                      "produced"});
    }));
    step.Note(fmt::format("{}/{}{}{}", name, version.version, alias.empty() ? "" : " @" + alias,
                          reused ? " (already registered)" : ""));
    return step.WriteJson(
        "report", ArtifactType::kReport,
        {{"model", name},
         {"version", version.version},
         {"alias", alias},
         {"project", params_.GetString("project").empty() ? step.services().project
                                                          : params_.GetString("project")},
         {"uri", model.uri},
         {"reused", reused}});
  }

 private:
  core::ParamMap params_;
};

}  // namespace

Status RegisterRegisterModel(ComponentRegistry& registry) {
  core::ParamSpec p("register_model");
  p.String("name", "", "the registered model's name");
  p.String("alias", "", "an alias to point at the version (production, staging, ...)");
  p.String("project", "", "another project to register in (the spec must allow writing to it)");
  ComponentFactory f;
  f.category = "model";
  f.inputs = {{"model", ArtifactType::kModel, "the model to register"}};
  f.outputs = {{"report", ArtifactType::kReport, "the version registered"}};
  f.create = Make<RegisterModelStep>();
  f.check = [](const core::ParamMap& params) -> Status {
    KILN_RETURN_IF_ERROR(track::ValidateName("register_model name", params.GetString("name")));
    if (!params.GetString("alias").empty())
      KILN_RETURN_IF_ERROR(track::ValidateName("register_model alias", params.GetString("alias")));
    return Status::Ok();
  };
  return Add(registry, "register_model", "Register a model version (and set an alias)",
             std::move(p), std::move(f));
}

}  // namespace kiln::pipeline
