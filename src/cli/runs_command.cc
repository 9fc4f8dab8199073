// kiln runs: the runs that train and evaluate recorded — list (filtered, ordered, paged), show
// one, compare several side by side, delete.
#include <algorithm>
#include <set>

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

constexpr const char* kRunsExamples = R"(Examples:
  kiln runs list
  kiln runs list --status finished --metric "auc>0.9" --order-by "metric.auc desc" --limit 5
  kiln runs list --kind train --param algo=logistic_regression --json
  kiln runs show 1
  kiln runs compare 1 run:2

Runs are recorded by 'kiln train' and 'kiln evaluate' in the store of --project (see 'kiln
runs list --help' for filters and paging). 'kiln runs delete ID...' removes runs; 'kiln gc'
then frees the files only they referred to.)";

constexpr const char* kListExamples = R"(Examples:
  kiln runs list --experiment default --status finished
  kiln runs list --metric "auc>0.8" --order-by "metric.auc desc"
  kiln runs list --param algo=logistic_regression --limit 10
  kiln runs list --limit 10 --page-token o:10

A table lists one page; when more runs match it ends with "more: --page-token T". --json prints
a JSON array of run objects (id, experiment, project, kind, status, start_ms, end_ms, command,
params, metrics) and writes the "more: --page-token T" line to stderr.)";

constexpr size_t kMaxMetricColumns = 4;

core::Result<track::RunQuery> BuildQuery(const RunsOptions& o, Session& session) {
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  track::RunQuery query;
  KILN_ASSIGN_OR_RETURN(query.project_id, session.ProjectId());
  if (!o.experiment.empty()) {
    KILN_ASSIGN_OR_RETURN(auto experiment,
                          store->projects().FindExperiment(query.project_id, o.experiment));
    if (!experiment) {
      KILN_ASSIGN_OR_RETURN(auto all, store->projects().ListExperiments(query.project_id));
      std::vector<std::string> names;
      for (const auto& e : all) names.push_back(e.name);
      return core::NotFound("experiment '{}' does not exist in project '{}' (experiments: {})",
                            o.experiment, session.project(),
                            names.empty() ? "none" : ListPreview(names));
    }
    query.experiment_id = experiment->id;
  }
  if (!o.status.empty()) query.status = o.status;
  if (!o.kind.empty()) query.kind = o.kind;
  for (const std::string& param : o.params) {
    const size_t eq = param.find('=');
    if (eq == std::string::npos || eq == 0) {
      return core::InvalidArgument("invalid --param '{}': expected KEY=VALUE (e.g. algo=gbdt)",
                                   param);
    }
    query.params.emplace_back(param.substr(0, eq), param.substr(eq + 1));
  }
  for (const std::string& metric : o.metrics) {
    KILN_ASSIGN_OR_RETURN(track::MetricFilter filter, track::ParseMetricFilter(metric));
    query.metrics.push_back(filter);
  }
  KILN_ASSIGN_OR_RETURN(OrderBy order, ParseOrderBy(o.order_by));
  query.order_by = order.field;
  if (order.descending && ((*order.descending && o.asc) || (!*order.descending && o.desc))) {
    return core::InvalidArgument("--order-by '{}' contradicts {}", o.order_by,
                                 o.asc ? "--asc" : "--desc");
  }
  query.descending = order.descending.value_or(!o.asc);
  if (o.limit <= 0) {
    return core::InvalidArgument("invalid --limit {}: expected a positive number", o.limit);
  }
  query.limit = o.limit;
  query.page_token = o.page_token;
  return query;
}

// The metric columns of a page: the --order-by metric first, then the others by name.
std::vector<std::string> MetricColumns(const std::vector<track::RunRecord>& runs,
                                       const std::string& order_field) {
  std::vector<std::string> columns;
  if (order_field.starts_with("metric.")) columns.push_back(order_field.substr(7));
  std::set<std::string> keys;
  for (const auto& run : runs) {
    for (const auto& [key, value] : run.metrics) keys.insert(key);
  }
  for (const std::string& key : keys) {
    if (columns.size() >= kMaxMetricColumns) break;
    if (std::find(columns.begin(), columns.end(), key) == columns.end()) columns.push_back(key);
  }
  return columns;
}

core::Status List(const RunsOptions& o, Session& session) {
  KILN_ASSIGN_OR_RETURN(track::RunQuery query, BuildQuery(o, session));
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(track::RunPage page, store->runs().List(query));
  const std::string more =
      page.next_page_token.empty() ? "" : "more: --page-token " + page.next_page_token + "\n";
  if (o.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& run : page.runs) list.push_back(RunJson(run));
    session.out() << list.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    session.err() << more;
    return core::Status::Ok();
  }
  if (page.runs.empty()) {
    session.out() << fmt::format("no runs match in project {}\n", session.project());
    return core::Status::Ok();
  }
  const std::vector<std::string> metrics = MetricColumns(page.runs, query.order_by);
  std::vector<std::string> header = {"ID", "EXPERIMENT", "KIND", "STATUS", "STARTED", "DURATION"};
  std::string param;
  if (query.order_by.starts_with("param.")) param = query.order_by.substr(6);
  if (!param.empty()) header.push_back(param);
  header.insert(header.end(), metrics.begin(), metrics.end());
  std::vector<std::vector<std::string>> rows = {header};
  for (const auto& run : page.runs) {
    std::vector<std::string> row = {std::to_string(run.id),
                                    run.experiment,
                                    run.kind,
                                    run.status,
                                    TimeText(run.start_ms),
                                    DurationText(run.start_ms, run.end_ms)};
    if (!param.empty()) {
      auto it = run.params.find(param);
      row.push_back(it == run.params.end() ? "-" : it->second);
    }
    for (const std::string& key : metrics) {
      auto it = run.metrics.find(key);
      row.push_back(it == run.metrics.end() ? "-" : NumberText(it->second));
    }
    rows.push_back(std::move(row));
  }
  session.out() << FormatTable(rows) << more;
  return core::Status::Ok();
}

nlohmann::json EdgeJson(track::MetaStore& store, const track::LineageNode& node,
                        const std::string& relation) {
  auto label = store.lineage().Describe(node);
  return {{"relation", relation},
          {"kind", node.kind},
          {"id", node.id},
          {"label", label.ok() ? *label : fmt::format("{} {} (deleted)", node.kind, node.id)}};
}

std::string KeyValues(const std::map<std::string, std::string>& values) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, value] : values) rows.push_back({key, value});
  return rows.empty() ? "  (none)\n" : FormatTable(rows, false, "  ");
}

core::Status Show(const RunsOptions& o, Session& session) {
  KILN_ASSIGN_OR_RETURN(int64_t id, ParseRunId(o.ids.front()));
  KILN_ASSIGN_OR_RETURN(track::RunRecord run, FindRun(session, id));
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  const track::LineageNode node{track::kNodeRun, run.id};
  KILN_ASSIGN_OR_RETURN(auto in_edges, store->lineage().EdgesTo(node));
  KILN_ASSIGN_OR_RETURN(auto out_edges, store->lineage().EdgesFrom(node));
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& e : in_edges) inputs.push_back(EdgeJson(*store, e.src, e.relation));
  nlohmann::json outputs = nlohmann::json::array();
  for (const auto& e : out_edges) outputs.push_back(EdgeJson(*store, e.dst, e.relation));
  auto& out = session.out();
  if (o.json) {
    nlohmann::json j = RunJson(run, true);
    j["inputs"] = inputs;
    j["outputs"] = outputs;
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return core::Status::Ok();
  }
  std::vector<std::vector<std::string>> fields = {
      {"run", std::to_string(run.id)},
      {"project", run.project},
      {"experiment", run.experiment},
      {"kind", run.kind},
      {"status", run.status},
      {"started", TimeText(run.start_ms)},
      {"ended", run.end_ms ? TimeText(*run.end_ms) : "-"},
      {"duration", DurationText(run.start_ms, run.end_ms)},
      {"command", run.command},
      {"host", fmt::format("{} (pid {})", run.host, run.pid)},
      {"kiln version", run.kiln_version},
  };
  if (!run.message.empty()) fields.push_back({"message", run.message});
  out << FormatTable(fields, false);
  out << "params:\n" << KeyValues(run.params);
  if (!run.tags.empty()) out << "tags:\n" << KeyValues(run.tags);
  std::map<std::string, std::string> metrics;
  for (const auto& [key, value] : run.metrics) metrics[key] = core::FormatDouble(value);
  out << "metrics:\n" << KeyValues(metrics);
  out << "artifacts:\n";
  if (run.artifacts.empty()) out << "  (none)\n";
  std::vector<std::vector<std::string>> artifacts;
  for (const auto& a : run.artifacts) {
    artifacts.push_back({a.name, a.uri, BytesText(static_cast<uint64_t>(a.size_bytes))});
  }
  if (!artifacts.empty()) out << FormatTable(artifacts, false, "  ");
  out << "lineage:\n";
  if (inputs.empty() && outputs.empty()) out << "  (none)\n";
  for (const auto& e : inputs) {
    out << fmt::format("  <- {}: {}\n", e["relation"].get<std::string>(),
                       e["label"].get<std::string>());
  }
  for (const auto& e : outputs) {
    out << fmt::format("  -> {}: {}\n", e["relation"].get<std::string>(),
                       e["label"].get<std::string>());
  }
  return core::Status::Ok();
}

core::Status Compare(const RunsOptions& o, Session& session) {
  std::vector<track::RunRecord> runs;
  for (const std::string& text : o.ids) {
    KILN_ASSIGN_OR_RETURN(int64_t id, ParseRunId(text));
    KILN_ASSIGN_OR_RETURN(track::RunRecord run, FindRun(session, id));
    runs.push_back(std::move(run));
  }
  std::set<std::string> param_keys;
  std::set<std::string> metric_keys;
  for (const auto& run : runs) {
    for (const auto& [key, value] : run.params) param_keys.insert(key);
    for (const auto& [key, value] : run.metrics) metric_keys.insert(key);
  }
  std::vector<std::string> differing;
  for (const std::string& key : param_keys) {
    std::set<std::string> values;
    for (const auto& run : runs) {
      auto it = run.params.find(key);
      values.insert(it == run.params.end() ? "\x01" : it->second);
    }
    if (values.size() > 1) differing.push_back(key);
  }
  if (o.json) {
    nlohmann::json j;
    j["runs"] = nlohmann::json::array();
    for (const auto& run : runs) j["runs"].push_back(RunJson(run));
    j["differing_params"] = differing;
    session.out() << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return core::Status::Ok();
  }
  std::vector<std::string> header = {"", ""};
  for (const auto& run : runs) header.push_back(fmt::format("run {}", run.id));
  std::vector<std::vector<std::string>> rows = {header};
  auto add = [&](const std::string& section, const std::string& key, const std::string& mark,
                 auto value_of) {
    std::vector<std::string> row = {mark, section + key};
    for (const auto& run : runs) row.push_back(value_of(run));
    rows.push_back(std::move(row));
  };
  add("", "experiment", "", [](const track::RunRecord& r) { return r.experiment; });
  add("", "kind", "", [](const track::RunRecord& r) { return r.kind; });
  add("", "status", "", [](const track::RunRecord& r) { return r.status; });
  add("", "started", "", [](const track::RunRecord& r) { return TimeText(r.start_ms); });
  add("", "duration", "",
      [](const track::RunRecord& r) { return DurationText(r.start_ms, r.end_ms); });
  for (const std::string& key : param_keys) {
    const bool differs = std::find(differing.begin(), differing.end(), key) != differing.end();
    add("param.", key, differs ? "*" : "", [&](const track::RunRecord& r) {
      auto it = r.params.find(key);
      return it == r.params.end() ? std::string("-") : core::Excerpt(it->second);
    });
  }
  for (const std::string& key : metric_keys) {
    add("metric.", key, "", [&](const track::RunRecord& r) {
      auto it = r.metrics.find(key);
      return it == r.metrics.end() ? std::string("-") : NumberText(it->second);
    });
  }
  session.out() << FormatTable(rows)
                << fmt::format("* marks the {} that differ\n", Plural(differing.size(), "param"));
  return core::Status::Ok();
}

core::Status Delete(const RunsOptions& o, Session& session) {
  std::vector<int64_t> ids;
  for (const std::string& text : o.ids) {
    KILN_ASSIGN_OR_RETURN(int64_t id, ParseRunId(text));
    KILN_ASSIGN_OR_RETURN(track::RunRecord run, FindRun(session, id));
    ids.push_back(run.id);
  }
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  for (int64_t id : ids) {
    KILN_RETURN_IF_ERROR(store->runs().Delete(id));
    session.out() << fmt::format("deleted run {}\n", id);
  }
  session.out() << "model versions they produced stay registered; 'kiln gc' frees the files no "
                   "record refers to any more\n";
  return core::Status::Ok();
}

void AddIds(CLI::App& cmd, RunsOptions& o, const std::string& help, bool many) {
  CLI::Option* ids = cmd.add_option("id", o.ids, help)->type_name("ID")->required();
  if (!many) ids->expected(1);
}

}  // namespace

CLI::App* AddRunsCommand(CLI::App& app, RunsOptions& o) {
  CLI::App* cmd = app.add_subcommand("runs", "List, show, compare and delete recorded runs");
  cmd->require_subcommand(1);
  cmd->footer(kRunsExamples);

  CLI::App* list = cmd->add_subcommand("list", "List runs: filtered, ordered and paged");
  list->add_option("--experiment", o.experiment, "Only runs of this experiment")->type_name("NAME");
  list->add_option("--status", o.status, "Only runs with this status")
      ->type_name("STATUS")
      ->check(CLI::IsMember({"running", "finished", "failed", "killed"}));
  list->add_option("--kind", o.kind, "Only runs of this kind (train, evaluate)")->type_name("KIND");
  list->add_option("--param", o.params, "Only runs whose param KEY is VALUE (repeatable)")
      ->type_name("KEY=VALUE");
  list->add_option("--metric", o.metrics,
                   "Only runs whose latest metric value passes, e.g. \"auc>0.8\"; OP is one of "
                   "< <= > >= = != (repeatable)")
      ->type_name("NAME OP NUMBER");
  list->add_option("--order-by", o.order_by,
                   "start, end, id, metric.NAME or param.NAME, optionally followed by asc or "
                   "desc (\"metric.auc desc\"); runs without the metric or param come last "
                   "[default: start]")
      ->type_name("FIELD");
  CLI::Option* asc = list->add_flag("--asc", o.asc, "Ascending order");
  list->add_flag("--desc", o.desc, "Descending order (the default)")->excludes(asc);
  list->add_option("--limit", o.limit, "Runs per page [default: 100]")->type_name("N");
  list->add_option("--page-token", o.page_token,
                   "Continue a listing: the token of the previous page's \"more:\" line")
      ->type_name("T");
  list->add_flag("--json", o.json, "Print a JSON array of run objects");
  list->footer(kListExamples);
  list->callback([&o] { o.action = RunsAction::kList; });

  CLI::App* show = cmd->add_subcommand(
      "show", "Show a run: fields, params, tags, metrics, artifacts and lineage");
  AddIds(*show, o, "The run (42 or run:42)", false);
  show->add_flag("--json", o.json, "Print as one JSON object");
  show->footer("Examples:\n  kiln runs show 42\n  kiln runs show run:42 --json");
  show->callback([&o] { o.action = RunsAction::kShow; });

  CLI::App* compare = cmd->add_subcommand(
      "compare", "Compare runs side by side: params (differences marked) and metrics");
  AddIds(*compare, o, "Two or more runs (42 or run:42)", true);
  compare->add_flag("--json", o.json,
                    "Print {\"runs\": [...], \"differing_params\": [...]} as JSON");
  compare->footer("Examples:\n  kiln runs compare 41 42\n  kiln runs compare 40 41 42 --json");
  compare->callback([&o] { o.action = RunsAction::kCompare; });

  CLI::App* remove =
      cmd->add_subcommand("delete", "Delete runs with their params, metrics and lineage edges");
  AddIds(*remove, o, "The runs (42 or run:42)", true);
  remove->footer(
      "Examples:\n  kiln runs delete 42 43\n\nModel versions the runs produced stay registered. "
      "'kiln gc' then frees\nthe files (blobs) that no record refers to any more.");
  remove->callback([&o] { o.action = RunsAction::kDelete; });
  return cmd;
}

core::Status RunRuns(const RunsOptions& options, Session& session) {
  switch (options.action) {
    case RunsAction::kList:
      return List(options, session);
    case RunsAction::kShow:
      return Show(options, session);
    case RunsAction::kCompare:
      if (options.ids.size() < 2) {
        return core::InvalidArgument("kiln runs compare needs two or more run ids, found {}",
                                     options.ids.size());
      }
      return Compare(options, session);
    case RunsAction::kDelete:
      return Delete(options, session);
    case RunsAction::kNone:
      break;
  }
  return core::Internal("kiln runs: no subcommand was selected");
}

}  // namespace kiln::cli
