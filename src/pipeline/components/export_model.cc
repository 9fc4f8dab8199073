// export_model: a model written out of the pipeline — as PMML for other scoring engines, or as
// a Kiln model file for `kiln serve --model-dir` / `kiln predict`. Cached while the file it
// wrote is still there, unchanged.
#include <filesystem>

#include <fmt/format.h>

#include "common.h"
#include "kiln/core/file.h"
#include "kiln/ml/model_io.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

class ExportModel final : public Component {
 public:
  explicit ExportModel(const core::ParamMap& params) : params_(params) {}

  Status Run(StepContext& step) override {
    const std::string path = step.ResolvePath(params_.GetString("path"));
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) KILN_RETURN_IF_ERROR(core::CreateDirectories(parent.string()));
    const std::string& format = params_.GetString("format");
    if (format == "kiln") {
      KILN_RETURN_IF_ERROR(step.services().artifacts->CopyOut(step.Input("model").uri, path));
    } else {
      KILN_ASSIGN_OR_RETURN(std::unique_ptr<ml::Model> model, step.ReadModel(step.Input("model")));
      KILN_ASSIGN_OR_RETURN(std::string pmml, model->ExportPmml());
      KILN_RETURN_IF_ERROR(core::WriteFileAtomic(path, pmml));
    }
    KILN_ASSIGN_OR_RETURN(std::string digest, FileDigest(path));
    step.Note(fmt::format("{} to {}", format, path));
    return step.WriteJson("report", ArtifactType::kReport,
                          {{"path", path}, {"format", format}, {"file", digest}});
  }

 private:
  core::ParamMap params_;
};

}  // namespace

Status RegisterExportModel(ComponentRegistry& registry) {
  core::ParamSpec p("export_model");
  p.String("path", "", "the file to write");
  p.Choice("format", "pmml", {"pmml", "kiln"}, "pmml (PMML 4.4) or kiln (the model file itself)");
  ComponentFactory f;
  f.category = "model";
  f.inputs = {{"model", ArtifactType::kModel, "the model to export"}};
  f.create = Make<ExportModel>();
  WritesFileAtPath(f);
  return Add(registry, "export_model", "Write a model as PMML or a Kiln model file", std::move(p),
             std::move(f));
}

}  // namespace kiln::pipeline
