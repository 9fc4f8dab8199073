// The `kiln` command line: parses arguments, runs the command, prints errors through the error
// table (core/error_code.h) and returns the process exit code.
//
// RunCli is what main() calls: it wires the real world in (stdout/stderr, the built-in
// algorithms, the data readers, a Ctrl-C handler). Run takes that world as a CliEnv so tests can
// drive every command in-process with their own streams, registry and reader. Nothing here is
// global; two Runs may execute at once if their envs share nothing mutable.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "kiln/core/cancellation.h"
#include "kiln/core/context.h"
#include "kiln/core/logging.h"
#include "kiln/core/result.h"
#include "kiln/data/dataset.h"
#include "kiln/data/read_options.h"
#include "kiln/ml/algorithm_registry.h"

namespace kiln::cli {

// Reads a data file (data::ReadDataset in production).
using DatasetReader = std::function<core::Result<data::Dataset>(
    const std::string& path, const data::ReadOptions& options, core::Context& ctx)>;
// Fills a fresh registry (algorithms::RegisterBuiltinAlgorithms in production).
using AlgorithmRegistrar = std::function<core::Status(ml::AlgorithmRegistry& registry)>;

// Everything a CLI invocation touches outside its own memory. Borrowed pointers must outlive Run.
struct CliEnv {
  std::ostream* out = nullptr;  // command output (tables, CSV, JSON); required
  std::ostream* err = nullptr;  // error messages; required
  // Draw progress bars on the process's stderr (only when it is a terminal).
  bool progress_bars = false;
  // Set by a Ctrl-C handler; nullptr = the run cannot be cancelled from outside.
  core::CancellationToken* cancel = nullptr;
  // Log sink; nullptr = a stderr logger at the level chosen by -q / -v.
  core::Logger* logger = nullptr;
  AlgorithmRegistrar register_algorithms;  // required
  DatasetReader read_dataset;              // required
  // Where tracking lives: $KILN_HOME (blobs under artifacts/, the default SQLite store kiln.db)
  // and $KILN_STORE (a store URI that overrides the default). RunCli fills both from the
  // environment; an empty kiln_home disables tracking unless --store names a store.
  std::string kiln_home;
  std::string store_uri;
};

// Runs one command line. `args` excludes the program name. Returns the exit code.
int Run(const std::vector<std::string>& args, const CliEnv& env);

// The process entry point: real streams, built-in algorithms, data::ReadDataset, a SIGINT handler
// that cancels the running command (a second Ctrl-C kills the process).
int RunCli(int argc, char** argv);

}  // namespace kiln::cli
