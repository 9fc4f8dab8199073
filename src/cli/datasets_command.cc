// kiln datasets: the dataset versions tracked runs read — list them, show one (schema, row
// count, per-column statistics, the dataset's other versions and the runs that used it).
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "kiln/cli/format.h"
#include "kiln/cli/tracking_refs.h"
#include "kiln/core/strings.h"
#include "tracking_lookup.h"
#include "tracking_output.h"

namespace kiln::cli {
namespace {

constexpr const char* kDatasetsExamples = R"(Examples:
  kiln datasets list
  kiln datasets show 1
  kiln datasets show data/breast_cancer/train.csv --json

A dataset version is recorded when a tracked 'kiln train' or 'kiln evaluate' reads a file: the
same content is one version, changed content makes a new one. A dataset is named by the file's
absolute path.)";

nlohmann::json ParsedOrNull(const std::string& text) {
  if (text.empty()) return nullptr;
  return nlohmann::json::parse(text, nullptr, false);
}

nlohmann::json VersionJson(const track::DatasetVersionRecord& v, bool details) {
  nlohmann::json j;
  j["id"] = v.id;
  j["dataset"] = v.dataset;
  j["version"] = v.version;
  j["content_hash"] = v.content_hash;
  j["source_path"] = v.source_path;
  j["format"] = v.format;
  j["size_bytes"] = v.size_bytes;
  j["num_rows"] = v.num_rows;
  j["num_columns"] = v.num_columns;
  j["created_ms"] = v.created_ms;
  if (details) {
    j["schema"] = ParsedOrNull(v.schema_json);
    j["stats"] = ParsedOrNull(v.stats_json);
  }
  return j;
}

std::string ShortHash(const std::string& hash) { return hash.substr(0, 12); }

core::Status List(const DatasetsOptions& o, Session& session) {
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId());
  KILN_ASSIGN_OR_RETURN(track::PageRequest request, ToPageRequest(o.list, true));
  KILN_ASSIGN_OR_RETURN(track::DatasetRepo::VersionPage page,
                        store->datasets().List(project_id, request, o.format));
  const std::vector<track::DatasetVersionRecord>& versions = page.versions;
  if (o.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& v : versions) list.push_back(VersionJson(v, false));
    session.out() << list.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    ReportNextPage(page.next_page_token, true, session);
    return core::Status::Ok();
  }
  if (versions.empty()) {
    session.out() << fmt::format("no datasets are recorded in project {}\n", session.project());
    return core::Status::Ok();
  }
  std::vector<std::vector<std::string>> rows = {
      {"ID", "DATASET", "VERSION", "ROWS", "COLUMNS", "SIZE", "HASH", "CREATED"}};
  for (const auto& v : versions) {
    rows.push_back({std::to_string(v.id), v.dataset, std::to_string(v.version),
                    std::to_string(v.num_rows), std::to_string(v.num_columns),
                    BytesText(static_cast<uint64_t>(v.size_bytes)), ShortHash(v.content_hash),
                    TimeText(v.created_ms)});
  }
  session.out() << FormatTable(rows);
  ReportNextPage(page.next_page_token, false, session);
  return core::Status::Ok();
}

std::string StatNumber(const nlohmann::json& column, const char* key) {
  if (!column.contains(key) || !column[key].is_number()) return "-";
  return NumberText(column[key].get<double>());
}

std::string StatsTable(const nlohmann::json& stats) {
  if (!stats.is_array() || stats.empty()) return "  (none)\n";
  std::vector<std::vector<std::string>> rows = {
      {"COLUMN", "TYPE", "COUNT", "MISSING", "MEAN", "STD", "MIN", "MAX", "DISTINCT"}};
  for (const auto& c : stats) {
    if (!c.is_object()) continue;
    rows.push_back({c.value("name", ""), c.value("type", ""), StatNumber(c, "count"),
                    StatNumber(c, "missing"), StatNumber(c, "mean"), StatNumber(c, "std"),
                    StatNumber(c, "min"), StatNumber(c, "max"), StatNumber(c, "distinct")});
  }
  return FormatTable(rows, true, "  ");
}

std::string SchemaText(const nlohmann::json& schema) {
  if (!schema.is_object()) return "(unknown)";
  if (schema.value("sparse", false)) {
    return fmt::format("sparse, {} features", schema.value("num_features", 0));
  }
  std::vector<std::string> fields;
  if (schema.contains("fields") && schema["fields"].is_array()) {
    for (const auto& f : schema["fields"]) {
      fields.push_back(f.value("name", "") + ":" + f.value("type", ""));
    }
  }
  std::string text = fmt::format("{} ({})", Plural(fields.size(), "column"), ListPreview(fields));
  if (schema.contains("label") && schema["label"].is_string() &&
      !schema["label"].get<std::string>().empty()) {
    text += "; label " + schema["label"].get<std::string>();
  }
  return text;
}

core::Status Show(const DatasetsOptions& o, Session& session) {
  KILN_ASSIGN_OR_RETURN(track::DatasetVersionRecord version,
                        FindDataset(session, DatasetRef(o.dataset)));
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId());
  KILN_ASSIGN_OR_RETURN(std::vector<track::DatasetVersionRecord> versions,
                        store->datasets().Find(project_id, version.dataset));
  KILN_ASSIGN_OR_RETURN(std::vector<track::LineageEdge> used,
                        store->lineage().EdgesFrom({track::kNodeDatasetVersion, version.id}));
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& edge : used) {
    auto label = store->lineage().Describe(edge.dst);
    runs.push_back({{"relation", edge.relation},
                    {"kind", edge.dst.kind},
                    {"id", edge.dst.id},
                    {"label", label.ok() ? *label : "(deleted)"}});
  }
  if (o.json) {
    nlohmann::json j = VersionJson(version, true);
    j["versions"] = nlohmann::json::array();
    for (const auto& v : versions) j["versions"].push_back(VersionJson(v, false));
    j["used_by"] = runs;
    session.out() << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return core::Status::Ok();
  }
  const nlohmann::json schema = ParsedOrNull(version.schema_json);
  std::vector<std::vector<std::string>> fields = {
      {"dataset", version.dataset},
      {"version", fmt::format("{} (id {})", version.version, version.id)},
      {"source", version.source_path},
      {"format", version.format.empty() ? "-" : version.format},
      {"size", BytesText(static_cast<uint64_t>(version.size_bytes))},
      {"rows", std::to_string(version.num_rows)},
      {"columns", std::to_string(version.num_columns)},
      {"hash", version.content_hash},
      {"recorded", TimeText(version.created_ms)},
      {"schema", SchemaText(schema)},
  };
  auto& out = session.out();
  out << FormatTable(fields, false);
  out << "column statistics:\n" << StatsTable(ParsedOrNull(version.stats_json));
  out << "versions:\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : versions) {
    rows.push_back({fmt::format("v{}{}", v.version, v.id == version.id ? "*" : ""),
                    fmt::format("id {}", v.id), Plural(static_cast<size_t>(v.num_rows), "row"),
                    ShortHash(v.content_hash), TimeText(v.created_ms)});
  }
  out << FormatTable(rows, false, "  ");
  out << "used by:\n";
  if (runs.empty()) out << "  (no recorded run)\n";
  for (const auto& r : runs) {
    out << fmt::format("  -> {}: {}\n", r["relation"].get<std::string>(),
                       r["label"].get<std::string>());
  }
  return core::Status::Ok();
}

}  // namespace

CLI::App* AddDatasetsCommand(CLI::App& app, DatasetsOptions& o) {
  CLI::App* cmd =
      app.add_subcommand("datasets", "List and show the dataset versions tracked runs read");
  cmd->require_subcommand(1);
  cmd->footer(kDatasetsExamples);

  CLI::App* list = cmd->add_subcommand("list", "List the dataset versions of the project");
  list->add_flag("--json", o.json, "Print a JSON array of dataset version objects");
  list->add_option("--format", o.format, "Only versions read in this format (csv, libsvm, jsonl)")
      ->type_name("FORMAT");
  AddListFlags(*list, o.list, "created, name, rows, size", "created desc");
  list->footer(
      "Examples:\n  kiln datasets list\n  kiln datasets list --format csv --order-by \"rows "
      "desc\" --limit 5 --json");
  list->callback([&o] { o.action = DatasetsAction::kList; });

  CLI::App* show = cmd->add_subcommand(
      "show", "Show a dataset version: schema, rows, column statistics, versions, runs");
  show->add_option("dataset", o.dataset,
                   "A dataset version id, or a file path or dataset name (its newest version)")
      ->type_name("ID|PATH")
      ->required();
  show->add_flag("--json", o.json, "Print as one JSON object");
  show->footer("Examples:\n  kiln datasets show 3\n  kiln datasets show data/train.csv --json");
  show->callback([&o] { o.action = DatasetsAction::kShow; });
  return cmd;
}

core::Status RunDatasets(const DatasetsOptions& options, Session& session) {
  switch (options.action) {
    case DatasetsAction::kList:
      return List(options, session);
    case DatasetsAction::kShow:
      return Show(options, session);
    case DatasetsAction::kNone:
      break;
  }
  return core::Internal("kiln datasets: no subcommand was selected");
}

}  // namespace kiln::cli
