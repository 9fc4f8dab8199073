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
  std::string label;  // "" = "label", or none for clustering algorithms
  std::string weight;
  std::vector<std::string> ignore;
  std::vector<std::string> categorical;
  std::string valid;
  std::vector<std::string> params;  // "key=value"
  std::string output;
  std::string transform_output;  // transform algorithms: also write the training rows' transform
  std::string transform_format;  // "" = from the model, as kiln transform's --output-format
  std::string register_name;     // "" = the output file's stem
  std::string dist;              // "" (one process), "allreduce" or "mpi" (train_dist.h)
  int workers = 0;               // --dist allreduce: ranks (threads of this process); 0 = not given
  TrackOptions track;
  RunOptions run;
};
CLI::App* AddTrainCommand(CLI::App& app, TrainOptions& options);
core::Status RunTrain(const TrainOptions& options, Session& session);

struct PredictOptions {
  std::string model;
  std::string url;   // predict through a running `kiln serve` instead of a model file
  std::string name;  // the served model's name (with --url), NAME or NAME@ALIAS
  size_t batch_rows = 1024;
  std::string data;
  std::string output;  // "" or "-" = stdout
  RunOptions run;
};
CLI::App* AddPredictCommand(CLI::App& app, PredictOptions& options);
core::Status RunPredict(const PredictOptions& options, Session& session);
// kiln predict --url URL NAME: the same CSV, answered by a server (predict_remote.cc).
core::Status RunPredictRemote(const PredictOptions& options, Session& session);

struct TransformOptions {
  std::string model;
  std::string data;
  std::string output;
  std::string output_format;  // "" = from the model (csv for dense, libsvm for sparse)
  RunOptions run;
};
CLI::App* AddTransformCommand(CLI::App& app, TransformOptions& options);
core::Status RunTransform(const TransformOptions& options, Session& session);

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

struct ExportOptions {
  std::string model;
  std::string format = "pmml";
  std::string output;  // "-" = stdout
};
CLI::App* AddExportCommand(CLI::App& app, ExportOptions& options);
core::Status RunExport(const ExportOptions& options, Session& session);

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

enum class ModelsAction { kNone, kList, kShow, kAlias, kDelete, kLoad, kUnload };
struct ModelsOptions {
  ModelsAction action = ModelsAction::kNone;
  std::string name;  // NAME, NAME/VERSION or NAME@ALIAS
  std::string alias;
  int64_t version = 0;
  bool remove = false;  // alias --delete
  bool json = false;
  std::string with_alias;  // list --alias
  ListFlags list;
  // load / unload / list --url: a running `kiln serve` (models_remote.cc).
  std::string url;
  std::string token;     // "" = $KILN_SERVE_ADMIN_TOKEN / $KILN_SERVE_TOKEN
  std::string path;      // load --path: a model file on the server's disk
  std::string platform;  // load --platform (with --path)
  bool no_wait = false;
  double timeout_seconds = 600;
};
CLI::App* AddModelsCommand(CLI::App& app, ModelsOptions& options);
core::Status RunModels(const ModelsOptions& options, Session& session);
// kiln models load|unload|list --url URL: the admin routes of a running server.
core::Status RunModelsRemote(const ModelsOptions& options, Session& session);

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

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 0;
  std::string model_dir;
  std::vector<std::string> models;  // NAME, NAME@ALIAS, NAME/V
  double poll_seconds = 2;
  std::string auth_token;
  std::string admin_token;             // load/unload need it when set (else auth_token)
  std::string model_control = "poll";  // poll | explicit
  std::vector<std::string> load;       // explicit mode: NAME[@ALIAS|/VERSION] loaded at start
  std::string access_log;
  size_t max_body_mb = 64;
  size_t max_connections = 4096;
  size_t max_batch_size = 0;  // dynamic batching: 0 = off
  int64_t batch_delay_us = 500;
  double drain_seconds = 10;
  std::string port_file;  // written with the bound port once serving (for scripts and tests)
  int grpc_port = -1;     // -1 = no gRPC endpoint; 0 = any free port
  std::string grpc_port_file;
  std::string tls_cert;  // HTTPS (and TLS for gRPC): PEM certificate chain and key
  std::string tls_key;
};
CLI::App* AddServeCommand(CLI::App& app, ServeOptions& options);
core::Status RunServe(const ServeOptions& options, Session& session);

struct DeployOptions {
  std::string model;
  std::string alias;
  double weight = 100;
  bool shadow = false;
  bool remove = false;
};
CLI::App* AddDeployCommand(CLI::App& app, DeployOptions& options);
core::Status RunDeploy(const DeployOptions& options, Session& session);

enum class DeploymentsAction { kNone, kList, kShow };
struct DeploymentsOptions {
  DeploymentsAction action = DeploymentsAction::kNone;
  std::string model;
  bool all = false;
  bool json = false;
};
CLI::App* AddDeploymentsCommand(CLI::App& app, DeploymentsOptions& options);
core::Status RunDeployments(const DeploymentsOptions& options, Session& session);

// Pipelines (pipeline_run_command.cc, components_command.cc, pipelines_command.cc,
// schedule_command.cc).
struct ValidateOptions {
  std::string spec;
  std::vector<std::string> params;  // "key=value" overrides of the pipeline's params
  bool json = false;
};
CLI::App* AddValidateCommand(CLI::App& app, ValidateOptions& options);
core::Status RunValidate(const ValidateOptions& options, Session& session);

struct PipelineRunOptions {
  std::string spec;  // "" with --resume: the resumed run's spec
  std::vector<std::string> params;
  int parallel = 1;
  int threads = 0;
  uint64_t seed = 42;
  bool no_cache = false;
  int64_t resume = 0;
  std::string experiment;
  bool json = false;
  std::string schedule_fire;  // "SCHEDULE_ID:FIRE_MS", set by `kiln scheduler`
};
CLI::App* AddPipelineRunCommand(CLI::App& app, PipelineRunOptions& options);
core::Status RunPipelineRun(const PipelineRunOptions& options, Session& session);

struct ComponentsOptions {
  std::string name;
  std::string category;
  bool json = false;
};
CLI::App* AddComponentsCommand(CLI::App& app, ComponentsOptions& options);
core::Status RunComponents(const ComponentsOptions& options, Session& session);

enum class PipelinesAction { kNone, kRuns, kShow };
struct PipelinesOptions {
  PipelinesAction action = PipelinesAction::kNone;
  std::string pipeline;
  int64_t run_id = 0;
  int64_t limit = 20;
  bool json = false;
};
CLI::App* AddPipelinesCommand(CLI::App& app, PipelinesOptions& options);
core::Status RunPipelines(const PipelinesOptions& options, Session& session);

enum class ScheduleAction { kNone, kAdd, kList, kRemove };
struct ScheduleOptions {
  ScheduleAction action = ScheduleAction::kNone;
  std::string spec;
  std::string cron;
  std::vector<std::string> params;
  int64_t id = 0;
  bool json = false;
};
CLI::App* AddScheduleCommand(CLI::App& app, ScheduleOptions& options);
core::Status RunSchedule(const ScheduleOptions& options, Session& session);

struct SchedulerOptions {
  double tick_seconds = 1;
  double grace_seconds = 60;
  double run_for_seconds = 0;  // 0 = until stopped (Ctrl-C / SIGTERM)
  int max_running = 4;
};
CLI::App* AddSchedulerCommand(CLI::App& app, SchedulerOptions& options);
core::Status RunScheduler(const SchedulerOptions& options, Session& session);

}  // namespace kiln::cli
