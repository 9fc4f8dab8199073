// kiln models: the model registry — list models, show one (versions, aliases, metrics), point
// aliases at versions, delete a version or a whole model; and load or unload models on a running
// server (--url, models_remote.cc).
#include <charconv>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "kiln/cli/format.h"
#include "kiln/core/strings.h"
#include "tracking_output.h"

namespace kiln::cli {
namespace {

constexpr const char* kModelsExamples = R"(Examples:
  kiln models list
  kiln models show bc
  kiln models alias bc production 1
  kiln models show bc@production --json

'kiln train --output NAME.kiln' registers a new version of model NAME (or of --register NAME).
A model reference is NAME (the latest version), NAME/VERSION or NAME@ALIAS.
'kiln models delete NAME[/VERSION]' deletes a model or one version; a version a live deployment
serves cannot be deleted.
'kiln models load|unload --url URL NAME' loads or unloads a model on a running 'kiln serve';
'kiln models list --url URL' shows what it serves (see 'kiln models load --help').)";

// --url and --token on a subcommand that talks to a running server.
void AddServerFlags(CLI::App& cmd, ModelsOptions& o, bool required) {
  CLI::Option* url =
      cmd.add_option("--url", o.url, "A running 'kiln serve': http://HOST:PORT")->type_name("URL");
  if (required) url->required();
  cmd.add_option("--token", o.token,
                 "Bearer token for the server [default: $KILN_SERVE_ADMIN_TOKEN for load and "
                 "unload, else $KILN_SERVE_TOKEN]")
      ->type_name("TOKEN");
  cmd.add_option("--timeout", o.timeout_seconds, "Seconds to wait for the server's answer")
      ->default_str("600")
      ->check(CLI::Range(0.1, 86400.0));
}

std::string AliasesText(const std::vector<std::string>& aliases) {
  return aliases.empty() ? "-" : core::Join(aliases, ",");
}

std::string MetricsText(const std::string& metrics_json) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : ScalarMetrics(metrics_json)) {
    parts.push_back(key + "=" + NumberText(value));
  }
  return parts.empty() ? "-" : core::Join(parts, " ");
}

nlohmann::json ModelJson(const track::ModelRecord& model) {
  nlohmann::json j;
  j["name"] = model.name;
  j["project"] = model.project;
  j["description"] = model.description;
  j["latest_version"] = model.latest_version;
  j["aliases"] = model.aliases;
  j["created_ms"] = model.created_ms;
  j["updated_ms"] = model.updated_ms;
  return j;
}

core::Status List(const ModelsOptions& o, Session& session) {
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId());
  KILN_ASSIGN_OR_RETURN(track::PageRequest request, ToPageRequest(o.list, false));
  if (!o.with_alias.empty()) KILN_RETURN_IF_ERROR(track::ValidateAlias(o.with_alias));
  KILN_ASSIGN_OR_RETURN(track::ModelRegistry::ModelPage page,
                        store->registry().List(project_id, request, o.with_alias));
  const std::vector<track::ModelRecord>& models = page.models;
  if (o.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& model : models) list.push_back(ModelJson(model));
    session.out() << list.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    ReportNextPage(page.next_page_token, true, session);
    return core::Status::Ok();
  }
  if (models.empty()) {
    session.out() << fmt::format("no models are registered in project {}\n", session.project());
    return core::Status::Ok();
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "LATEST", "ALIASES", "UPDATED"}};
  for (const auto& model : models) {
    std::vector<std::string> aliases;
    for (const auto& [alias, version] : model.aliases) {
      aliases.push_back(fmt::format("{}={}", alias, version));
    }
    rows.push_back({model.name, std::to_string(model.latest_version), AliasesText(aliases),
                    TimeText(model.updated_ms)});
  }
  session.out() << FormatTable(rows);
  ReportNextPage(page.next_page_token, false, session);
  return core::Status::Ok();
}

core::Status ShowVersion(const ModelsOptions& o, Session& session, track::MetaStore& store,
                         int64_t project_id) {
  KILN_ASSIGN_OR_RETURN(track::ModelVersionRecord version,
                        store.registry().Resolve(project_id, o.name));
  if (o.json) {
    session.out() << ModelVersionJson(version).dump(2, ' ', false,
                                                    nlohmann::json::error_handler_t::replace)
                  << '\n';
    return core::Status::Ok();
  }
  std::vector<std::vector<std::string>> rows = {
      {"model", fmt::format("{}/{}", version.model, version.version)},
      {"run", version.run_id ? std::to_string(*version.run_id) : "-"},
      {"algorithm", version.algorithm},
      {"created", TimeText(version.created_ms)},
      {"aliases", AliasesText(version.aliases)},
      {"artifact", version.artifact_uri},
      {"metrics", MetricsText(version.metrics_json)},
  };
  session.out() << FormatTable(rows, false);
  return core::Status::Ok();
}

core::Status Show(const ModelsOptions& o, Session& session) {
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId());
  if (o.name.find_first_of("/@") != std::string::npos) {
    return ShowVersion(o, session, *store, project_id);
  }
  KILN_ASSIGN_OR_RETURN(track::ModelRecord model, store->registry().Get(project_id, o.name));
  if (o.json) {
    nlohmann::json j = ModelJson(model);
    j["versions"] = nlohmann::json::array();
    for (const auto& v : model.versions) j["versions"].push_back(ModelVersionJson(v));
    session.out() << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return core::Status::Ok();
  }
  auto& out = session.out();
  out << fmt::format("model {} (project {}), {}, latest {}\n", model.name, model.project,
                     Plural(model.versions.size(), "version"), model.latest_version);
  if (!model.description.empty()) out << model.description << '\n';
  std::vector<std::vector<std::string>> rows = {
      {"VERSION", "RUN", "ALGORITHM", "CREATED", "ALIASES", "METRICS"}};
  for (const auto& v : model.versions) {
    rows.push_back({std::to_string(v.version), v.run_id ? std::to_string(*v.run_id) : "-",
                    v.algorithm, TimeText(v.created_ms), AliasesText(v.aliases),
                    MetricsText(v.metrics_json)});
  }
  out << FormatTable(rows);
  return core::Status::Ok();
}

core::Status Alias(const ModelsOptions& o, Session& session) {
  KILN_RETURN_IF_ERROR(track::ValidateAlias(o.alias));
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId());
  if (o.remove) {
    if (o.version != 0) {
      return core::InvalidArgument("kiln models alias --delete takes no VERSION (found {})",
                                   o.version);
    }
    KILN_RETURN_IF_ERROR(store->registry().RemoveAlias(project_id, o.name, o.alias));
    session.out() << fmt::format("removed alias {}@{}\n", o.name, o.alias);
    return core::Status::Ok();
  }
  if (o.version <= 0) {
    return core::InvalidArgument(
        "kiln models alias {} {} needs the VERSION to point at (a positive number), or --delete",
        o.name, o.alias);
  }
  KILN_ASSIGN_OR_RETURN(track::ModelRecord model, store->registry().Get(project_id, o.name));
  auto previous = model.aliases.find(o.alias);
  KILN_RETURN_IF_ERROR(store->registry().SetAlias(project_id, o.name, o.alias, o.version));
  if (previous == model.aliases.end()) {
    session.out() << fmt::format("{}@{} -> version {}\n", o.name, o.alias, o.version);
  } else {
    session.out() << fmt::format("{}@{} -> version {} (was {})\n", o.name, o.alias, o.version,
                                 previous->second);
  }
  return core::Status::Ok();
}

core::Status Delete(const ModelsOptions& o, Session& session) {
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId());
  const size_t slash = o.name.find('/');
  if (slash == std::string::npos) {
    KILN_RETURN_IF_ERROR(store->registry().DeleteModel(project_id, o.name));
    session.out() << fmt::format("deleted model {} and all its versions\n", o.name);
  } else {
    const std::string name = o.name.substr(0, slash);
    const std::string_view digits = std::string_view(o.name).substr(slash + 1);
    int64_t version = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || version <= 0) {
      return core::InvalidArgument(
          "invalid model version '{}': expected NAME or NAME/VERSION with VERSION a positive "
          "number",
          o.name);
    }
    KILN_RETURN_IF_ERROR(store->registry().DeleteVersion(project_id, name, version));
    session.out() << fmt::format("deleted model version {}/{}\n", name, version);
  }
  session.out() << "'kiln gc' frees the model files no record refers to any more\n";
  return core::Status::Ok();
}

}  // namespace

CLI::App* AddModelsCommand(CLI::App& app, ModelsOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "models", "List, show, alias and delete registered models; load and unload them on a server");
  cmd->require_subcommand(1);
  cmd->footer(kModelsExamples);

  CLI::App* list = cmd->add_subcommand("list", "List the models of the project");
  list->add_flag("--json", o.json, "Print a JSON array of model objects");
  list->add_option("--alias", o.with_alias, "Only models that have this alias")->type_name("ALIAS");
  AddListFlags(*list, o.list, "name, updated, created", "name asc");
  AddServerFlags(*list, o, /*required=*/false);
  list->footer(
      "Examples:\n  kiln models list\n  kiln models list --alias production --json\n  kiln "
      "models list --order-by \"updated desc\" --limit 20\n  kiln models list --url "
      "http://127.0.0.1:8080\n\nWith --url: the models a running 'kiln serve' has (its "
      "repository index: NAME,\nVERSION, STATE READY/LOADING/UNLOADING/UNAVAILABLE and the "
      "REASON).");
  list->callback([&o] { o.action = ModelsAction::kList; });

  CLI::App* show = cmd->add_subcommand(
      "show",
      "Show a model's versions (run, algorithm, created, aliases, metrics), or one "
      "version");
  show->add_option("model", o.name, "NAME (every version), NAME/VERSION or NAME@ALIAS")
      ->type_name("MODEL")
      ->required();
  show->add_flag("--json", o.json, "Print as one JSON object");
  show->footer("Examples:\n  kiln models show churn\n  kiln models show churn@production --json");
  show->callback([&o] { o.action = ModelsAction::kShow; });

  CLI::App* alias = cmd->add_subcommand("alias", "Point an alias at a version, or remove it");
  alias->add_option("model", o.name, "The model's name")->type_name("NAME")->required();
  alias
      ->add_option("alias", o.alias,
                   "Alias name: 1-64 of [a-z0-9_-], starting with a letter; not 'latest'")
      ->type_name("ALIAS")
      ->required();
  alias
      ->add_option("version", o.version,
                   "The version the alias points at (moved if it "
                   "pointed elsewhere)")
      ->type_name("VERSION");
  alias->add_flag("--delete", o.remove, "Remove the alias instead");
  alias->footer(
      "Examples:\n  kiln models alias churn production 3\n  kiln models alias churn staging "
      "--delete");
  alias->callback([&o] { o.action = ModelsAction::kAlias; });

  CLI::App* remove = cmd->add_subcommand(
      "delete", "Delete a model version (NAME/VERSION) or a model with all its versions");
  remove->add_option("model", o.name, "NAME or NAME/VERSION")->type_name("MODEL")->required();
  remove->footer(
      "Examples:\n  kiln models delete churn/2\n  kiln models delete churn\n\nA version a live "
      "deployment serves cannot be deleted. 'kiln gc' then frees the\nmodel files no record "
      "refers to any more.");
  remove->callback([&o] { o.action = ModelsAction::kDelete; });

  CLI::App* load = cmd->add_subcommand(
      "load", "Load a model on a running server (warmed before it takes requests)");
  load->add_option("model", o.name, "The name the server serves it under")
      ->type_name("NAME")
      ->required();
  AddServerFlags(*load, o, /*required=*/true);
  load->add_option("--version", o.version,
                   "That version of the server's repository (registry or --model-dir); with "
                   "--path, the version number the file serves as (default 1)")
      ->type_name("V")
      ->check(CLI::PositiveNumber);
  load->add_option("--alias", o.alias, "The version a registry alias (or config.json label) names")
      ->type_name("ALIAS");
  load->add_option("--path", o.path, "A model file on the server's disk instead of the repository")
      ->type_name("FILE");
  load->add_option("--platform", o.platform,
                   "With --path: kiln or xgboost_json (default: detected from the file)")
      ->type_name("NAME");
  load->add_flag("--no-wait", o.no_wait,
                 "Return once the server has queued the load (202); 'list --url' shows its state");
  load->add_flag("--json", o.json, "Print the server's answer");
  load->footer(
      "Examples:\n"
      "  kiln models load --url http://127.0.0.1:8080 churn\n"
      "  kiln models load --url http://127.0.0.1:8080 churn --alias canary\n"
      "  kiln models load --url http://127.0.0.1:8080 big --path /models/big.json --version 2\n"
      "\n"
      "Without --version, --alias or --path the server loads what its source names of the model\n"
      "(the --models spec, the registry's latest version, or --model-dir's version policy); with\n"
      "--model-control poll that also hands a model back to polling after an unload. A load that\n"
      "fails leaves the versions that were serving in place. The flags make the body of\n"
      "POST /v2/repository/models/NAME/load (docs/serving.md).");
  load->callback([&o] { o.action = ModelsAction::kLoad; });

  CLI::App* unload = cmd->add_subcommand(
      "unload", "Unload a model from a running server (its memory is returned)");
  unload->add_option("model", o.name, "The served model's name")->type_name("NAME")->required();
  AddServerFlags(*unload, o, /*required=*/true);
  unload->add_flag("--no-wait", o.no_wait, "Return once the server has queued the unload (202)");
  unload->add_flag("--json", o.json, "Print the server's answer");
  unload->footer(
      "Examples:\n  kiln models unload --url http://127.0.0.1:8080 churn\n\n"
      "Requests in flight finish on the model; new ones get 404. With --model-control poll the\n"
      "model stays unloaded (polls skip it) until 'kiln models load' brings it back.");
  unload->callback([&o] { o.action = ModelsAction::kUnload; });
  return cmd;
}

core::Status RunModels(const ModelsOptions& options, Session& session) {
  if (!options.url.empty()) return RunModelsRemote(options, session);
  switch (options.action) {
    case ModelsAction::kList:
      return List(options, session);
    case ModelsAction::kShow:
      return Show(options, session);
    case ModelsAction::kAlias:
      return Alias(options, session);
    case ModelsAction::kDelete:
      return Delete(options, session);
    case ModelsAction::kLoad:
    case ModelsAction::kUnload:
      return RunModelsRemote(options, session);
    case ModelsAction::kNone:
      break;
  }
  return core::Internal("kiln models: no subcommand was selected");
}

}  // namespace kiln::cli
