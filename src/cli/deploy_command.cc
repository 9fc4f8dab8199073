// kiln deploy: set how a registered model's traffic is shared between its aliases. Every
// `kiln serve --models NAME...` of the model follows the change at its next poll.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "deployment_text.h"

namespace kiln::cli {
namespace {

constexpr const char* kDeployExamples = R"(Examples:
  kiln deploy bc --alias production
  kiln deploy bc --alias production --weight 10
  kiln deploy bc --alias production --shadow
  kiln deploy bc --alias production --remove

--weight W gives the version the alias points at W% of the requests that name no version; the
rest go to the version the server was started with (the first --models spec). --shadow sends it
a copy of every request instead: its answers are logged (--access-log), never returned. Running
servers pick the change up within their --poll-interval; see 'kiln deployments show NAME'.)";

}  // namespace

CLI::App* AddDeployCommand(CLI::App& app, DeployOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "deploy", "Route a share of a served model's traffic to an alias (canary, A/B, shadow)");
  cmd->add_option("model", o.model, "The registered model's name")->type_name("NAME")->required();
  cmd->add_option("--alias", o.alias, "The alias whose version gets the traffic")
      ->type_name("ALIAS")
      ->required();
  cmd->add_option("--weight", o.weight, "Percentage of unversioned requests, in (0, 100]")
      ->default_str("100");
  cmd->add_flag("--shadow", o.shadow, "Send a copy of every request instead (never answers)");
  cmd->add_flag("--remove", o.remove, "Remove the alias's route");
  cmd->footer(kDeployExamples);
  return cmd;
}

core::Status RunDeploy(const DeployOptions& o, Session& session) {
  if (o.remove && (o.shadow || o.weight != 100))
    return core::InvalidArgument("--remove takes no --weight or --shadow");
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId());
  if (o.remove) {
    KILN_RETURN_IF_ERROR(store->traffic().Remove(project_id, o.model, o.alias));
  } else {
    track::TrafficRoute route;
    route.alias = o.alias;
    route.weight = o.shadow ? 100 : o.weight;
    route.shadow = o.shadow;
    KILN_RETURN_IF_ERROR(store->traffic().Set(project_id, o.model, route));
  }
  KILN_ASSIGN_OR_RETURN(std::string text, TrafficText(*store, project_id, o.model));
  session.out() << text << "Servers of this model (kiln serve --models " << o.model
                << "...) follow it at their next poll.\n";
  return core::Status::Ok();
}

}  // namespace kiln::cli
