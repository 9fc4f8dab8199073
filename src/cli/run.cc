// Run: builds the CLI11 app, parses, dispatches to the command and maps the result to an exit
// code through core/error_code.h.
#include <exception>
#include <ostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "kiln/cli/cli.h"
#include "kiln/cli/format.h"
#include "kiln/core/error_code.h"
#include "kiln/track/sql_connection.h"

namespace kiln::cli {
namespace {

constexpr const char* kDescription =
    "kiln: train, evaluate and use machine-learning models from the command line";

constexpr const char* kMainFooter = R"(Examples:
  kiln algorithms
  kiln train --algo logistic_regression --data data/breast_cancer/train.csv --output bc.kiln
  kiln evaluate --model bc.kiln --data data/breast_cancer/test.csv
  kiln predict --model bc.kiln --data data/breast_cancer/test.csv --output predictions.csv
  kiln inspect bc.kiln
  kiln export bc.kiln --format pmml -o bc.pmml
  kiln runs list --order-by "metric.auc desc"
  kiln models show bc
  kiln lineage bc
  kiln gc --dry-run
  kiln run examples/pipelines/churn.yaml -p l2_strong=0.1
  kiln components

Tracking: train and evaluate record runs, datasets, model versions and lineage in the store
($KILN_HOME/kiln.db, or --store / $KILN_STORE) under --project; see runs, models, datasets,
lineage and gc.
Pipelines: run, validate and schedule YAML pipelines of components (kiln components); see
pipelines runs|show, schedule and scheduler.
Run 'kiln COMMAND --help' for a command's options. Exit codes: 0 success, 1 internal error,
2 usage or bad parameter, 3 not found, 4 bad data, 5 i/o error, 6 bad model file,
7 limit exceeded, 8 not implemented, 9 permission denied, 130 interrupted.)";

int ReportError(const core::Status& status, std::ostream& err) {
  const core::ErrorSurface& surface = core::SurfaceFor(status.code());
  err << "kiln: " << surface.prefix << ": " << status.ToString() << '\n';
  err.flush();
  return surface.exit_code;
}

// The name of the deepest subcommand that was selected ("train"), or "" for the main app.
std::string SelectedCommand(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands()) return sub->get_name();
  return "";
}

struct Commands {
  GlobalOptions global;
  TrainOptions train;
  PredictOptions predict;
  EvaluateOptions evaluate;
  TransformOptions transform;
  InspectOptions inspect;
  ExportOptions export_;
  AlgorithmsOptions algorithms;
  RunsOptions runs;
  ModelsOptions models;
  DatasetsOptions datasets;
  LineageOptions lineage;
  GcCommandOptions gc;
  ServeOptions serve;
  DeployOptions deploy;
  DeploymentsOptions deployments;
  ValidateOptions validate;
  PipelineRunOptions run;
  ComponentsOptions components;
  PipelinesOptions pipelines;
  ScheduleOptions schedule;
  SchedulerOptions scheduler;
  CLI::App* train_cmd = nullptr;
  CLI::App* predict_cmd = nullptr;
  CLI::App* evaluate_cmd = nullptr;
  CLI::App* transform_cmd = nullptr;
  CLI::App* inspect_cmd = nullptr;
  CLI::App* export_cmd = nullptr;
  CLI::App* algorithms_cmd = nullptr;
  CLI::App* runs_cmd = nullptr;
  CLI::App* models_cmd = nullptr;
  CLI::App* datasets_cmd = nullptr;
  CLI::App* lineage_cmd = nullptr;
  CLI::App* gc_cmd = nullptr;
  CLI::App* serve_cmd = nullptr;
  CLI::App* deploy_cmd = nullptr;
  CLI::App* deployments_cmd = nullptr;
  CLI::App* validate_cmd = nullptr;
  CLI::App* run_cmd = nullptr;
  CLI::App* components_cmd = nullptr;
  CLI::App* pipelines_cmd = nullptr;
  CLI::App* schedule_cmd = nullptr;
  CLI::App* scheduler_cmd = nullptr;
};

constexpr size_t kHelpWidth = 100;
constexpr size_t kHelpNameColumn = 34;

// CLI11 does not wrap option descriptions: wrap them under the description column.
void WrapDescriptions(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    std::string text = Wrap(option->get_description(), kHelpWidth - kHelpNameColumn, "", "");
    while (!text.empty() && text.back() == '\n') text.pop_back();
    option->description(text);
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    WrapDescriptions(*sub);
  }
}

void Declare(CLI::App& app, Commands& c) {
  app.set_help_flag("-h,--help", "Show this help and exit");
  app.set_version_flag("--version", std::string("kiln ") + KILN_VERSION,
                       "Show the version and exit");
  app.add_flag("-q,--quiet", c.global.quiet, "Only print errors (no warnings, no progress bars)");
  app.add_flag("-v,--verbose", c.global.verbose, "Also print progress notes and debug messages");
  app.add_option("--store", c.global.store,
                 "MetaStore URI: a SQLite file (sqlite:PATH or a path) or postgresql://... "
                 "[default: $KILN_STORE, else $KILN_HOME/kiln.db]")
      ->option_text("URI");
  app.add_option("--project", c.global.project,
                 "Project (namespace) runs, datasets and models are recorded in [default: "
                 "default]")
      ->option_text("NAME");
  app.fallthrough();  // global flags also work after the command name
  app.require_subcommand(0, 1);
  app.footer(kMainFooter);
  app.get_formatter()->column_width(kHelpNameColumn);
  c.train_cmd = AddTrainCommand(app, c.train);
  c.predict_cmd = AddPredictCommand(app, c.predict);
  c.evaluate_cmd = AddEvaluateCommand(app, c.evaluate);
  c.transform_cmd = AddTransformCommand(app, c.transform);
  c.inspect_cmd = AddInspectCommand(app, c.inspect);
  c.export_cmd = AddExportCommand(app, c.export_);
  c.algorithms_cmd = AddAlgorithmsCommand(app, c.algorithms);
  c.runs_cmd = AddRunsCommand(app, c.runs);
  c.models_cmd = AddModelsCommand(app, c.models);
  c.datasets_cmd = AddDatasetsCommand(app, c.datasets);
  c.lineage_cmd = AddLineageCommand(app, c.lineage);
  c.gc_cmd = AddGcCommand(app, c.gc);
  c.serve_cmd = AddServeCommand(app, c.serve);
  c.deploy_cmd = AddDeployCommand(app, c.deploy);
  c.deployments_cmd = AddDeploymentsCommand(app, c.deployments);
  c.validate_cmd = AddValidateCommand(app, c.validate);
  c.run_cmd = AddPipelineRunCommand(app, c.run);
  c.components_cmd = AddComponentsCommand(app, c.components);
  c.pipelines_cmd = AddPipelinesCommand(app, c.pipelines);
  c.schedule_cmd = AddScheduleCommand(app, c.schedule);
  c.scheduler_cmd = AddSchedulerCommand(app, c.scheduler);
  WrapDescriptions(app);
}

core::Status Dispatch(Commands& c, Session& session) {
  if (c.train_cmd->parsed()) return RunTrain(c.train, session);
  if (c.predict_cmd->parsed()) return RunPredict(c.predict, session);
  if (c.evaluate_cmd->parsed()) return RunEvaluate(c.evaluate, session);
  if (c.transform_cmd->parsed()) return RunTransform(c.transform, session);
  if (c.inspect_cmd->parsed()) return RunInspect(c.inspect, session);
  if (c.export_cmd->parsed()) return RunExport(c.export_, session);
  if (c.algorithms_cmd->parsed()) return RunAlgorithms(c.algorithms, session);
  if (c.runs_cmd->parsed()) return RunRuns(c.runs, session);
  if (c.models_cmd->parsed()) return RunModels(c.models, session);
  if (c.datasets_cmd->parsed()) return RunDatasets(c.datasets, session);
  if (c.lineage_cmd->parsed()) return RunLineage(c.lineage, session);
  if (c.gc_cmd->parsed()) return RunGc(c.gc, session);
  if (c.serve_cmd->parsed()) return RunServe(c.serve, session);
  if (c.deploy_cmd->parsed()) return RunDeploy(c.deploy, session);
  if (c.deployments_cmd->parsed()) return RunDeployments(c.deployments, session);
  if (c.validate_cmd->parsed()) return RunValidate(c.validate, session);
  if (c.run_cmd->parsed()) return RunPipelineRun(c.run, session);
  if (c.components_cmd->parsed()) return RunComponents(c.components, session);
  if (c.pipelines_cmd->parsed()) return RunPipelines(c.pipelines, session);
  if (c.schedule_cmd->parsed()) return RunSchedule(c.schedule, session);
  if (c.scheduler_cmd->parsed()) return RunScheduler(c.scheduler, session);
  return core::Internal("no command was selected");
}

}  // namespace

int Run(const std::vector<std::string>& args, const CliEnv& env) {
  std::ostream& out = *env.out;
  std::ostream& err = *env.err;
  CLI::App app(kDescription, "kiln");
  Commands c;
  Declare(app, c);

  // CLI11 wants argc/argv (its vector overload takes the arguments in reverse).
  std::vector<std::string> storage;
  storage.reserve(args.size() + 1);
  storage.emplace_back("kiln");
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return core::kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return core::kExitOk;
  } catch (const CLI::CallForVersion& e) {
    out << e.what() << '\n';
    return core::kExitOk;
  } catch (const CLI::ParseError& e) {
    const std::string command = SelectedCommand(app);
    err << "kiln: error: " << e.what() << '\n'
        << "Run 'kiln " << (command.empty() ? "" : command + " ") << "--help' for usage.\n";
    return core::kExitUsage;
  }
  if (app.get_subcommands().empty()) {
    err << app.help() << "\nkiln: error: a command is required\n";
    return core::kExitUsage;
  }
  if (c.global.quiet && c.global.verbose) {
    return ReportError(core::InvalidArgument("--quiet and --verbose contradict each other"), err);
  }

  try {
    // The command line as recorded with a run: a store URI's password is left out.
    std::string command_line = "kiln";
    for (const std::string& arg : args) {
      command_line +=
          " " + (arg.find("://") != std::string::npos || arg.find("password=") != std::string::npos
                     ? track::RedactPassword(arg)
                     : arg);
    }
    Session session(env, c.global, command_line);
    core::Status status = Dispatch(c, session);
    out.flush();
    if (!status.ok() && session.secondary_rank()) {
      return core::SurfaceFor(status.code()).exit_code;  // rank 0 reports it
    }
    if (!status.ok()) return ReportError(status, err);
    return core::kExitOk;
  } catch (const std::bad_alloc&) {
    return ReportError(core::ResourceExhausted("out of memory"), err);
  } catch (const std::exception& e) {
    return ReportError(core::Internal("unexpected exception: {}", e.what()), err);
  }
}

}  // namespace kiln::cli
