// The `kiln` subcommands. Each has an options struct that CLI11 fills, an Add*Command that
// declares its flags and help on the app, and a Run* that does the work and returns a Status
// (run.cc turns it into a message and an exit code). Private to src/cli.
#pragma once

#include <string>
#include <vector>

#include "kiln/core/status.h"
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

}  // namespace kiln::cli
