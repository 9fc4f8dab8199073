// The `kiln` subcommands. Each has an options struct that CLI11 fills, an Add*Command that
// declares its flags and help on the app, and a Run* that does the work and returns a Status
// (run.cc turns it into a message and an exit code). Private to src/cli.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/core/status.h"
#include "list_flags.h"
#include "run_tracker.h"
#include "session.h"

namespace CLI {
class App;
}

namespace kiln::cli {

// --threads, --seed and the data-reading flags (read_flags.h) on a command.
void AddRunOptions(CLI::App& command, RunOptions& run, ReadFlagsUse use);

struct TrainOptions {
  std::string algo;
  std::string data;
  std::string label = "label";
  std::string weight;
  std::vector<std::string> ignore;
  std::vector<std::string> categorical;
  std::string valid;
  std::vector<std::string> params;  // "key=value"
  std::string output;
  std::string register_name;  // "" = the output file's stem
  TrackOptions track;
  RunOptions run;
};
CLI::App* AddTrainCommand(CLI::App& app, TrainOptions& options);
core::Status RunTrain(const TrainOptions& options, Session& session);

struct PredictOptions {
  std::string model;
  std::string data;
  std::string output;  // "" or "-" = stdout
  RunOptions run;
};
CLI::App* AddPredictCommand(CLI::App& app, PredictOptions& options);
core::Status RunPredict(const PredictOptions& options, Session& session);

struct EvaluateOptions {
  std::string model;
  std::string data;
  std::string label;  // "" = the model's label column
  std::string weight;
  bool json = false;
  TrackOptions track;
  RunOptions run;
};
CLI::App* AddEvaluateCommand(CLI::App& app, EvaluateOptions& options);
core::Status RunEvaluate(const EvaluateOptions& options, Session& session);

struct InspectOptions {
  std::string model;
  bool json = false;
};
CLI::App* AddInspectCommand(CLI::App& app, InspectOptions& options);
core::Status RunInspect(const InspectOptions& options, Session& session);

struct AlgorithmsOptions {
  std::string name;  // "" = list all
  bool json = false;
};
CLI::App* AddAlgorithmsCommand(CLI::App& app, AlgorithmsOptions& options);
core::Status RunAlgorithms(const AlgorithmsOptions& options, Session& session);

enum class RunsAction { kNone, kList, kShow, kCompare, kDelete };
struct RunsOptions {
  RunsAction action = RunsAction::kNone;
  std::string experiment;
  std::string status;
  std::string kind;
  std::vector<std::string> params;   // "key=value"
  std::vector<std::string> metrics;  // "auc>0.8"
  std::string order_by = "start";
  bool asc = false;
  bool desc = false;
  int64_t limit = 100;
  std::string page_token;
  std::vector<std::string> ids;
  bool json = false;
};
CLI::App* AddRunsCommand(CLI::App& app, RunsOptions& options);
core::Status RunRuns(const RunsOptions& options, Session& session);

enum class ModelsAction { kNone, kList, kShow, kAlias, kDelete };
struct ModelsOptions {
  ModelsAction action = ModelsAction::kNone;
  std::string name;  // NAME, NAME/VERSION or NAME@ALIAS
  std::string alias;
  int64_t version = 0;
  bool remove = false;  // alias --delete
  bool json = false;
  std::string with_alias;  // list --alias
  ListFlags list;
};
CLI::App* AddModelsCommand(CLI::App& app, ModelsOptions& options);
core::Status RunModels(const ModelsOptions& options, Session& session);

enum class DatasetsAction { kNone, kList, kShow };
struct DatasetsOptions {
  DatasetsAction action = DatasetsAction::kNone;
  std::string dataset;  // version id or path or name
  bool json = false;
  std::string format;  // list --format
  ListFlags list;
};
CLI::App* AddDatasetsCommand(CLI::App& app, DatasetsOptions& options);
core::Status RunDatasets(const DatasetsOptions& options, Session& session);

struct LineageOptions {
  std::string entity;
  bool upstream = false;
  bool downstream = false;
  std::string format = "tree";
  int depth = 32;
};
CLI::App* AddLineageCommand(CLI::App& app, LineageOptions& options);
core::Status RunLineage(const LineageOptions& options, Session& session);

struct GcCommandOptions {
  bool dry_run = false;
  bool force = false;  // allow --min-age below 60 s
  int64_t min_age_seconds = 3600;
  bool json = false;
};
CLI::App* AddGcCommand(CLI::App& app, GcCommandOptions& options);
core::Status RunGc(const GcCommandOptions& options, Session& session);

}  // namespace kiln::cli
