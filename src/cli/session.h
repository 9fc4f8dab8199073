// Session: what one CLI command needs while it runs — the output streams, the logger, the
// progress reporter, the cancellation token, the algorithm registry and the data reader — built
// from a CliEnv and the global flags. Private to src/cli. Not thread-safe (one command at a time).
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "kiln/cli/cli.h"
#include "kiln/cli/read_flags.h"
#include "kiln/core/context.h"
#include "kiln/core/progress.h"
#include "kiln/data/dataset.h"
#include "kiln/data/read_options.h"
#include "kiln/pipeline/component.h"
#include "kiln/track/artifact_store.h"
#include "kiln/track/meta_store.h"

namespace kiln::cli {

struct GlobalOptions {
  bool quiet = false;
  bool verbose = false;
  std::string store;                // --store URI ("" = $KILN_STORE, then $KILN_HOME/kiln.db)
  std::string project = "default";  // --project NAME
};

// The flags that train, predict and evaluate share.
struct RunOptions {
  int threads = 0;
  uint64_t seed = 42;
  ReadFlags read;
};

class Session {
 public:
  Session(const CliEnv& env, const GlobalOptions& global, std::string command_line = {});
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  std::ostream& out() { return secondary_rank_ ? discard_ : *env_.out; }
  // Notes beside the output (such as the next page of a --json listing).
  std::ostream& err() { return *env_.err; }
  core::Logger& logger() { return *logger_; }
  bool quiet() const { return global_.quiet; }
  // True when stderr is a terminal that may show live progress (not with --quiet).
  bool live_terminal() const { return env_.progress_bars && !global_.quiet; }

  // The registry with every algorithm, built on first use.
  core::Result<const ml::AlgorithmRegistry*> Registry();
  // Every pipeline component (the built-in ones and train.<algorithm> for each algorithm),
  // built on first use.
  core::Result<const pipeline::ComponentRegistry*> Components();
  // A Context with the given threads and seed, this session's logger, progress and cancellation.
  std::unique_ptr<core::Context> MakeContext(const RunOptions& run);
  // Set by Ctrl-C / SIGTERM (or the test harness).
  const core::CancellationToken& cancellation() const {
    return env_.cancel != nullptr ? *env_.cancel : own_cancel_;
  }
  // The MetaStore, opened (and migrated) on first use. Runs left "running" by a process of this
  // host that has died are marked failed on opening.
  core::Result<track::MetaStore*> Store();
  // The URI Store() opens (--store, else $KILN_STORE, else $KILN_HOME/kiln.db).
  std::string StoreUri() const;
  // Commands that record (train, evaluate) call this before Store(): they may create the store
  // named by --store / $KILN_STORE; other commands get kNotFound for a store that is missing.
  void AllowCreatingStore() { create_store_ = true; }
  // False when neither --store, $KILN_STORE nor $KILN_HOME is set (in-process tests): then
  // train and evaluate run untracked.
  bool HasStore() const {
    return !global_.store.empty() || !env_.store_uri.empty() || !env_.kiln_home.empty();
  }
  // The --project's id in the store. Commands that record (train, evaluate) create the project;
  // commands that read get kNotFound, listing the projects, for one that does not exist (the
  // `default` project always exists).
  core::Result<int64_t> ProjectId(bool create = false);
  const std::string& project() const { return global_.project; }
  // This store's blobs: $KILN_HOME/artifacts/<store id> (each store has its own, so garbage
  // collection of one store never deletes another's blobs).
  core::Result<track::ArtifactStore*> Artifacts();
  // The command line as typed ("kiln train --algo ...").
  const std::string& command_line() const { return command_line_; }
  // Makes this session a secondary rank of a distributed job (kiln train --dist mpi, rank > 0):
  // its output and log are discarded and its errors are left to rank 0 to report (the command
  // still fails with the error's exit code).
  void BecomeSecondaryRank();
  bool secondary_rank() const { return secondary_rank_; }
  // Reads a data file through the env's reader, logging what was read (at debug level).
  core::Result<data::Dataset> ReadData(const std::string& path, const data::ReadOptions& options,
                                       core::Context& ctx);

 private:
  const CliEnv& env_;
  GlobalOptions global_;
  std::string command_line_;
  std::unique_ptr<core::Logger> owned_logger_;
  core::Logger* logger_;
  std::unique_ptr<core::ProgressReporter> progress_;
  core::CancellationToken own_cancel_;
  std::unique_ptr<ml::AlgorithmRegistry> registry_;
  std::unique_ptr<pipeline::ComponentRegistry> components_;
  std::unique_ptr<track::MetaStore> store_;
  bool create_store_ = false;
  std::optional<int64_t> project_id_;
  std::unique_ptr<track::ArtifactStore> artifacts_;
  bool secondary_rank_ = false;
  std::ostream discard_{nullptr};  // no buffer: writes are dropped
};

// `path` made absolute and normalised (unchanged if that fails): how datasets are named.
std::string AbsolutePath(const std::string& path);

// OK if `path` is an existing regular file; otherwise kNotFound / kInvalidArgument naming the
// flag ("--data") and the path.
core::Status CheckInputFile(const std::string& flag, const std::string& path);
// Makes sure `path` can be written: creates missing parent directories, refuses a directory and
// refuses to overwrite any of `inputs` (the files the command reads).
core::Status PrepareOutputFile(const std::string& flag, const std::string& path,
                               const std::vector<std::string>& inputs = {});

}  // namespace kiln::cli
