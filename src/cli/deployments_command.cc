// kiln deployments: where registered model versions are (and were) served — list them, or show
// one model's traffic routes, live deployments and the per-version counters of its servers.
#include <set>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "deployment_text.h"
#include "kiln/cli/format.h"
#include "kiln/serve/http_client.h"
#include "tracking_output.h"

namespace kiln::cli {
namespace {

constexpr const char* kDeploymentsExamples = R"(Examples:
  kiln deployments list
  kiln deployments list --all --json
  kiln deployments show bc

A deployment is recorded when 'kiln serve --models ...' puts a registered version live, and
marked stopped when the version leaves or the server stops. 'show' also reads each live
server's /metrics for per-version request counts (an A/B comparison).)";

struct Row {
  track::DeploymentRecord deployment;
  int64_t version = 0;
};

core::Result<std::vector<Row>> Rows(track::MetaStore& store, int64_t project_id, bool all,
                                    const std::string& model) {
  KILN_ASSIGN_OR_RETURN(std::vector<track::DeploymentRecord> list,
                        store.deployments().List(project_id));
  std::vector<Row> rows;
  for (track::DeploymentRecord& d : list) {
    if (!all && d.status != "live") continue;
    if (!model.empty() && d.name != model) continue;
    Row row;
    auto version = store.registry().GetVersion(d.model_version_id);
    row.version = version.ok() ? version->version : 0;
    row.deployment = std::move(d);
    rows.push_back(std::move(row));
  }
  return rows;
}

nlohmann::json RowJson(const Row& r) {
  nlohmann::json j = {{"id", r.deployment.id},         {"model", r.deployment.name},
                      {"version", r.version},          {"endpoint", r.deployment.endpoint},
                      {"status", r.deployment.status}, {"created_ms", r.deployment.created_ms}};
  j["ended_ms"] = r.deployment.ended_ms ? nlohmann::json(*r.deployment.ended_ms) : nullptr;
  return j;
}

std::vector<std::vector<std::string>> Table(const std::vector<Row>& rows) {
  std::vector<std::vector<std::string>> table = {
      {"ID", "MODEL", "VERSION", "ENDPOINT", "STATUS", "STARTED", "ENDED"}};
  for (const Row& r : rows) {
    table.push_back({std::to_string(r.deployment.id), r.deployment.name, std::to_string(r.version),
                     r.deployment.endpoint, r.deployment.status, TimeText(r.deployment.created_ms),
                     r.deployment.ended_ms ? TimeText(*r.deployment.ended_ms) : ""});
  }
  return table;
}

core::Status List(const DeploymentsOptions& o, Session& session) {
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId());
  KILN_ASSIGN_OR_RETURN(std::vector<Row> rows, Rows(*store, project_id, o.all, ""));
  if (o.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const Row& r : rows) list.push_back(RowJson(r));
    session.out() << list.dump(2) << "\n";
    return core::Status::Ok();
  }
  if (rows.empty()) {
    session.out() << (o.all ? "no deployments recorded\n"
                            : "no live deployments (--all lists stopped ones too)\n");
    return core::Status::Ok();
  }
  session.out() << FormatTable(Table(rows));
  return core::Status::Ok();
}

core::Status Show(const DeploymentsOptions& o, Session& session) {
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId());
  KILN_ASSIGN_OR_RETURN(std::string traffic, TrafficText(*store, project_id, o.model));
  KILN_ASSIGN_OR_RETURN(std::vector<Row> rows, Rows(*store, project_id, true, o.model));
  // Counters from every live endpoint, summed per version.
  std::map<int64_t, std::map<std::string, double>> counters;
  std::vector<std::string> unreachable;
  std::set<std::string> endpoints;
  for (const Row& r : rows)
    if (r.deployment.status == "live") endpoints.insert(r.deployment.endpoint);
  for (const std::string& endpoint : endpoints) {
    auto url = serve::ParseHttpUrl(endpoint + "/metrics");
    auto answer = url.ok() ? serve::HttpCall("GET", *url, "", {}, 5)
                           : core::Result<serve::HttpClientResponse>(url.status());
    if (!answer.ok() || answer->status != 200) {
      unreachable.push_back(endpoint);
      continue;
    }
    for (const auto& [version, values] : ModelCounters(answer->body, o.model))
      for (const auto& [name, value] : values) counters[version][name] += value;
  }
  if (o.json) {
    nlohmann::json j;
    j["model"] = o.model;
    KILN_ASSIGN_OR_RETURN(std::vector<track::TrafficRoute> routes,
                          store->traffic().List(project_id, o.model));
    j["routes"] = nlohmann::json::array();
    for (const track::TrafficRoute& r : routes)
      j["routes"].push_back({{"alias", r.alias}, {"weight", r.weight}, {"shadow", r.shadow}});
    j["deployments"] = nlohmann::json::array();
    for (const Row& r : rows) j["deployments"].push_back(RowJson(r));
    j["counters"] = nlohmann::json::object();
    for (const auto& [version, values] : counters) j["counters"][std::to_string(version)] = values;
    j["unreachable"] = unreachable;
    session.out() << j.dump(2) << "\n";
    return core::Status::Ok();
  }
  std::string out = traffic + "\nDeployments:\n";
  out += rows.empty() ? "  none recorded\n" : FormatTable(Table(rows), true, "  ");
  if (!counters.empty()) {
    std::vector<std::vector<std::string>> table = {
        {"VERSION", "REQUESTS", "ERRORS", "ROWS", "SHADOW COPIES"}};
    for (const auto& [version, values] : counters) {
      auto get = [&values = values](const char* name) {
        auto it = values.find(name);
        return it == values.end() ? std::string("0") : fmt::format("{}", it->second);
      };
      table.push_back({std::to_string(version), get("requests"), get("errors"), get("rows"),
                       get("shadow_requests")});
    }
    out += "\nLive counters (from the servers' /metrics, since each started):\n";
    out += FormatTable(table, true, "  ");
  }
  for (const std::string& e : unreachable)
    out += fmt::format("  (could not read {}/metrics: the server may have stopped)\n", e);
  session.out() << out;
  return core::Status::Ok();
}

}  // namespace

CLI::App* AddDeploymentsCommand(CLI::App& app, DeploymentsOptions& o) {
  CLI::App* cmd =
      app.add_subcommand("deployments", "List where model versions are served; show a model's");
  cmd->require_subcommand(1);
  cmd->footer(kDeploymentsExamples);
  CLI::App* list = cmd->add_subcommand("list", "List live deployments (--all: stopped ones too)");
  list->add_flag("--all", o.all, "Also list stopped deployments");
  list->add_flag("--json", o.json, "Print a JSON array of deployment objects");
  list->callback([&o] { o.action = DeploymentsAction::kList; });
  CLI::App* show = cmd->add_subcommand(
      "show", "Show a model's traffic routes, deployments and live per-version counters");
  show->add_option("model", o.model, "The registered model's name")->type_name("NAME")->required();
  show->add_flag("--json", o.json, "Print one JSON object");
  show->callback([&o] { o.action = DeploymentsAction::kShow; });
  return cmd;
}

core::Status RunDeployments(const DeploymentsOptions& o, Session& session) {
  switch (o.action) {
    case DeploymentsAction::kList:
      return List(o, session);
    case DeploymentsAction::kShow:
      return Show(o, session);
    case DeploymentsAction::kNone:
      break;
  }
  return core::Internal("no deployments action was selected");
}

}  // namespace kiln::cli
