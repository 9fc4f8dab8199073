// write: a dataset out of the pipeline into a file a user or another tool reads — CSV for
// named columns, LibSVM for sparse data. Cached like any step, as long as the file it wrote is
// still there with the same content.
#include <fmt/format.h>

#include <filesystem>

#include "common.h"
#include "kiln/core/file.h"
#include "kiln/data/csv_writer.h"
#include "kiln/data/read_options.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

class Write final : public Component {
 public:
  explicit Write(const core::ParamMap& params) : params_(params) {}

  Status Run(StepContext& step) override {
    const std::string path = step.ResolvePath(params_.GetString("path"));
    KILN_ASSIGN_OR_RETURN(data::Dataset ds, step.ReadDataset(step.Input("data")));
    if (std::filesystem::path(path).has_parent_path())
      KILN_RETURN_IF_ERROR(
          core::CreateDirectories(std::filesystem::path(path).parent_path().string()));
    if (ds.is_sparse()) {
      KILN_RETURN_IF_ERROR(data::WriteLibSvm(ds, path, step.ctx().pool()));
    } else {
      const bool tsv = path.ends_with(".tsv");
      KILN_RETURN_IF_ERROR(data::WriteCsv(ds, path, step.ctx().pool(), tsv ? '\t' : ','));
    }
    KILN_ASSIGN_OR_RETURN(std::string digest, FileDigest(path));
    step.Note(fmt::format("{} rows to {}", ds.num_rows(), path));
    return step.WriteJson("report", ArtifactType::kReport,
                          {{"path", path}, {"rows", ds.num_rows()}, {"file", digest}});
  }

 private:
  core::ParamMap params_;
};

}  // namespace

// True when the file a cached step wrote is still what it wrote.
bool OutputFileUnchanged(const std::map<std::string, Artifact>& outputs) {
  auto it = outputs.find("report");
  if (it == outputs.end() || !it->second.summary.contains("path")) return false;
  Result<std::string> now = FileDigest(it->second.summary["path"].get<std::string>());
  return now.ok() && it->second.summary.value("file", "") == *now;
}

void WritesFileAtPath(ComponentFactory& factory) {
  factory.outputs = {{"report", ArtifactType::kReport, "where the file went"}};
  factory.check = [](const core::ParamMap& params) -> Status {
    if (params.GetString("path").empty()) return core::InvalidArgument("param 'path' is required");
    return Status::Ok();
  };
  factory.cache_valid = [](const core::ParamMap&, const PipelineServices&,
                           const std::map<std::string, Artifact>& outputs) {
    return OutputFileUnchanged(outputs);
  };
}

Status RegisterWrite(ComponentRegistry& registry) {
  core::ParamSpec p("write");
  p.String("path", "", "the file to write: .csv or .tsv for named columns, .libsvm for sparse");
  ComponentFactory f;
  f.category = "data";
  f.inputs = {{"data", ArtifactType::kDataset, "the rows to write"}};
  f.create = Make<Write>();
  WritesFileAtPath(f);
  return Add(registry, "write", "Write a dataset to a CSV/TSV file (LibSVM when sparse)",
             std::move(p), std::move(f));
}

}  // namespace kiln::pipeline
