// read: a CSV, TSV, LibSVM or JSON Lines file (or a dataset registered in a project) into a
// dataset, recorded as a dataset version with lineage to the step. The file's bytes are part of
// the cache key, so an edited file is read again and an unchanged one is not.
#include <fmt/format.h>

#include "common.h"
#include "kiln/core/hash.h"
#include "kiln/data/dataset_stats.h"
#include "kiln/data/reader.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

Result<data::ReadOptions> Options(const core::ParamMap& p) {
  data::ReadOptions o;
  KILN_ASSIGN_OR_RETURN(o.format, data::ParseFormat(p.GetString("format")));
  if (p.GetString("format") == "tsv") o.delimiter = '\t';
  o.label = p.GetString("label");
  o.label_policy = o.label.empty() ? data::LabelPolicy::kNone : data::LabelPolicy::kRequired;
  o.weight = p.GetString("weight");
  o.ignore = SplitList(p.GetString("ignore"));
  o.categorical = SplitList(p.GetString("categorical"));
  const std::string& delimiter = p.GetString("delimiter");
  if (delimiter == "\\t" || delimiter == "tab") {
    o.delimiter = '\t';
  } else if (delimiter.size() == 1) {
    o.delimiter = delimiter[0];
  } else if (!delimiter.empty()) {
    return core::InvalidArgument("delimiter: expected one character (or tab), found '{}'",
                                 delimiter);
  }
  o.header = p.GetBool("header");
  return o;
}

Result<std::string> FileKey(const core::ParamMap& p, const PipelineServices& services) {
  return FileDigest(services.ResolvePath(p.GetString("path")));
}

class Read final : public Component {
 public:
  explicit Read(const core::ParamMap& params) : params_(params) {}

  Status Run(StepContext& step) override {
    const std::string path = step.ResolvePath(params_.GetString("path"));
    KILN_ASSIGN_OR_RETURN(data::ReadOptions options, Options(params_));
    KILN_ASSIGN_OR_RETURN(data::Dataset ds, data::ReadDataset(path, options, step.ctx()));
    KILN_RETURN_IF_ERROR(step.WriteDataset("data", ds));
    KILN_RETURN_IF_ERROR(step.WithStore([&](track::MetaStore& store) -> Status {
      track::NewDatasetVersion v;
      v.name = params_.GetString("name").empty() ? path : params_.GetString("name");
      v.content_hash = core::HexDigest(ds.source().content_hash);
      v.source_path = path;
      v.format = ds.source().format;
      v.size_bytes = static_cast<int64_t>(ds.source().file_bytes);
      v.num_rows = static_cast<int64_t>(ds.num_rows());
      v.num_columns = static_cast<int64_t>(ds.num_features());
      v.schema_json =
          ds.schema().ToJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      v.stats_json =
          data::DatasetStatsJson(ds).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      KILN_ASSIGN_OR_RETURN(track::DatasetVersionRecord record,
                            store.datasets().Record(step.services().project_id, v));
      return store.lineage().AddEdge({{track::kNodeDatasetVersion, record.id},
                                      {track::kNodePipelineStep, step.step_id()},
                                      "input_of"});
    }));
    step.Note(fmt::format("{} rows x {} features", ds.num_rows(), ds.num_features()));
    return Status::Ok();
  }

 private:
  core::ParamMap params_;
};

}  // namespace

Status RegisterRead(ComponentRegistry& registry) {
  core::ParamSpec p("read");
  p.String("path", "", "the file to read (relative paths start at the directory kiln runs in)");
  p.Choice("format", "auto", {"auto", "csv", "tsv", "libsvm", "jsonl"},
           "file format; auto = from the extension");
  p.String("label", "label", "the label column (\"\" = the data has none)");
  p.String("weight", "", "a column of sample weights");
  p.String("ignore", "", "columns to drop, comma-separated");
  p.String("categorical", "", "columns to read as categories even when they look numeric");
  p.String("delimiter", "", "CSV field delimiter (one character, or tab); default , (tab for tsv)");
  p.Bool("header", true, "the CSV's first line names the columns");
  p.String("name", "", "the dataset's name in the project (default: the file's path)");
  ComponentFactory f;
  f.category = "data";
  f.outputs = {{"data", ArtifactType::kDataset, "the rows read"}};
  f.create = Make<Read>();
  f.external_key = FileKey;
  f.check = [](const core::ParamMap& params) -> Status {
    if (params.GetString("path").empty()) return core::InvalidArgument("param 'path' is required");
    return Options(params).status();
  };
  return Add(registry, "read", "Read a CSV, TSV, LibSVM or JSON Lines file into a dataset",
             std::move(p), std::move(f));
}

}  // namespace kiln::pipeline
