// read: a CSV, TSV, LibSVM or JSON Lines file — by path, or as a dataset recorded in a project
// (`dataset: NAME` or `NAME/VERSION`, optionally of another project the spec allows reading) —
// into a dataset, recorded as a dataset version with lineage to the step. The file's bytes are
// part of the cache key, so an edited file is read again and an unchanged one is not; a recorded
// dataset whose file no longer has the recorded content is an error.
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

// The file to read and, for a recorded dataset, the content hash it must have.
struct Source {
  std::string path;
  std::string expected_hash;  // "" for a path
  std::string label;          // "dataset NAME vN (project P)" for messages
};

Result<Source> ResolveSource(const core::ParamMap& p, const PipelineServices& services,
                             const std::string& who) {
  const std::string& ref = p.GetString("dataset");
  if (ref.empty()) return Source{services.ResolvePath(p.GetString("path")), "", ""};
  std::string name = ref;
  int64_t version = 0;
  if (size_t slash = ref.rfind('/');
      slash != std::string::npos && slash + 1 < ref.size() &&
      ref.find_first_not_of("0123456789", slash + 1) == std::string::npos) {
    name = ref.substr(0, slash);
    version = std::stoll(ref.substr(slash + 1));
  }
  KILN_ASSIGN_OR_RETURN(int64_t project, services.ProjectFor(p.GetString("project"), false, who));
  std::vector<track::DatasetVersionRecord> versions;
  KILN_RETURN_IF_ERROR(services.WithStore([&](track::MetaStore& store) -> Status {
    KILN_ASSIGN_OR_RETURN(versions, store.datasets().Find(project, name));
    return Status::Ok();
  }));
  const std::string where =
      p.GetString("project").empty() ? services.project : p.GetString("project");
  for (const track::DatasetVersionRecord& v : versions) {  // newest first
    if (version == 0 || v.version == version) {
      return Source{v.source_path, v.content_hash,
                    fmt::format("dataset {} v{} (project {})", v.dataset, v.version, where)};
    }
  }
  if (versions.empty())
    return core::NotFound("no dataset '{}' is recorded in project {} (see kiln datasets list)",
                          name, where);
  return core::NotFound("dataset '{}' has no version {} in project {} (newest: v{})", name, version,
                        where, versions.front().version);
}

Result<std::string> FileKey(const core::ParamMap& p, const PipelineServices& services) {
  KILN_ASSIGN_OR_RETURN(Source source, ResolveSource(p, services, "read"));
  KILN_ASSIGN_OR_RETURN(std::string digest, FileDigest(source.path));
  return digest + " " + source.expected_hash;
}

class Read final : public Component {
 public:
  explicit Read(const core::ParamMap& params) : params_(params) {}

  Status Run(StepContext& step) override {
    KILN_ASSIGN_OR_RETURN(Source source,
                          ResolveSource(params_, step.services(), "step '" + step.step() + "'"));
    const std::string& path = source.path;
    KILN_ASSIGN_OR_RETURN(data::ReadOptions options, Options(params_));
    KILN_ASSIGN_OR_RETURN(data::Dataset ds, data::ReadDataset(path, options, step.ctx()));
    if (!source.expected_hash.empty() &&
        core::HexDigest(ds.source().content_hash) != source.expected_hash) {
      return core::DataError(
          "{} was recorded with content {}, but {} now holds {}: the file changed since; read "
          "it by path to use what it holds now",
          source.label, source.expected_hash, path, core::HexDigest(ds.source().content_hash));
    }
    KILN_RETURN_IF_ERROR(step.WriteDataset("data", ds));
    KILN_RETURN_IF_ERROR(step.WithStore([&](track::MetaStore& store) -> Status {
      track::NewDatasetVersion v;
      v.name = !params_.GetString("name").empty()      ? params_.GetString("name")
               : !params_.GetString("dataset").empty() ? params_.GetString("dataset")
                                                       : path;
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
  p.String("dataset", "",
           "instead of path: a recorded dataset, NAME (its newest version) or NAME/VERSION (see "
           "kiln datasets list); its file must still have the recorded content");
  p.String("project", "",
           "with dataset: another project to look it up in (the spec must allow "
           "reading it)");
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
    if (params.GetString("path").empty() == params.GetString("dataset").empty())
      return core::InvalidArgument("give exactly one of 'path' and 'dataset'");
    if (!params.GetString("project").empty() && params.GetString("dataset").empty())
      return core::InvalidArgument("'project' only applies to 'dataset'");
    return Options(params).status();
  };
  return Add(registry, "read", "Read a CSV, TSV, LibSVM or JSON Lines file into a dataset",
             std::move(p), std::move(f));
}

}  // namespace kiln::pipeline
