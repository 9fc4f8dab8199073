#include "session.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "kiln/cli/format.h"
#include "kiln/core/file.h"
#include "kiln/pipeline/builtin_components.h"
#include "kiln/track/process_identity.h"

namespace kiln::cli {

Session::Session(const CliEnv& env, const GlobalOptions& global, std::string command_line)
    : env_(env), global_(global), command_line_(std::move(command_line)) {
  if (env.logger != nullptr) {
    logger_ = env.logger;
  } else {
    const core::LogLevel level = global.quiet     ? core::LogLevel::kError
                                 : global.verbose ? core::LogLevel::kDebug
                                                  : core::LogLevel::kWarn;
    owned_logger_ = core::Logger::Stderr(level);
    logger_ = owned_logger_.get();
  }
  if (env.progress_bars && !global.quiet) {
    progress_ = std::make_unique<core::TerminalProgressReporter>(stderr);
  } else {
    progress_ = std::make_unique<core::NullProgressReporter>();
  }
}

core::Result<const ml::AlgorithmRegistry*> Session::Registry() {
  if (registry_ == nullptr) {
    auto registry = std::make_unique<ml::AlgorithmRegistry>("algorithm");
    core::Status status = env_.register_algorithms(*registry);
    if (!status.ok()) return status.AddContext("while registering the built-in algorithms");
    registry_ = std::move(registry);
  }
  return registry_.get();
}

core::Result<const pipeline::ComponentRegistry*> Session::Components() {
  if (components_ == nullptr) {
    KILN_ASSIGN_OR_RETURN(const ml::AlgorithmRegistry* algorithms, Registry());
    auto components = std::make_unique<pipeline::ComponentRegistry>("component");
    core::Status status = pipeline::RegisterBuiltinComponents(*components, *algorithms);
    if (!status.ok()) return status.AddContext("while registering the built-in components");
    components_ = std::move(components);
  }
  return components_.get();
}

void Session::BecomeSecondaryRank() {
  secondary_rank_ = true;
  owned_logger_ = core::Logger::Null();
  logger_ = owned_logger_.get();
  progress_ = std::make_unique<core::NullProgressReporter>();
}

std::unique_ptr<core::Context> Session::MakeContext(const RunOptions& run) {
  core::ContextOptions options;
  options.threads = run.threads;
  options.seed = run.seed;
  core::CancellationToken* cancel = env_.cancel != nullptr ? env_.cancel : &own_cancel_;
  return std::make_unique<core::Context>(options, logger_, progress_.get(), cancel);
}

std::string Session::StoreUri() const {
  return track::ResolveStoreUri(global_.store, env_.store_uri, env_.kiln_home);
}

core::Result<track::MetaStore*> Session::Store() {
  if (store_ != nullptr) return store_.get();
  if (global_.store.empty() && env_.store_uri.empty() && env_.kiln_home.empty()) {
    return core::FailedPrecondition(
        "no store: set --store URI, $KILN_STORE or $KILN_HOME (the default store is "
        "$KILN_HOME/kiln.db)");
  }
  const std::string uri = StoreUri();
  const std::string shown = track::RedactPassword(uri);
  // A store named explicitly must exist for commands that only read (a typo should not create
  // an empty store); the default store is created on first use.
  if (!create_store_ && (!global_.store.empty() || !env_.store_uri.empty())) {
    KILN_ASSIGN_OR_RETURN(track::StoreLocation location, track::ParseStoreUri(uri));
    if (location.dialect == track::Dialect::kSqlite && !core::FileExists(location.target)) {
      return core::NotFound(
          "no store at {}: expected an existing SQLite file (check --store / "
          "$KILN_STORE; 'kiln train' creates a store)",
          location.target);
    }
  }
  auto store = track::MetaStore::Open(uri);
  if (!store.ok()) {
    return core::Status(store.status()).AddContext("while opening the store " + shown);
  }
  // A run whose process died (crash, kill -9) cannot mark itself; the next kiln on the host does.
  const track::ProcessIdentity self = track::CurrentProcess();
  auto marked = (*store)->runs().MarkAbandoned(self.host, track::IsProcessAlive);
  if (!marked.ok())
    return core::Status(marked.status()).AddContext("while checking for abandoned runs");
  if (*marked > 0) {
    logger_->Debug("marked {} as failed: their processes ended", Plural(*marked, "abandoned run"));
  }
  store_ = std::move(store).value();
  return store_.get();
}

core::Result<int64_t> Session::ProjectId(bool create) {
  if (project_id_) return *project_id_;
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, Store());
  KILN_RETURN_IF_ERROR(track::ValidateName("project", global_.project));
  const bool ensure = create || global_.project == track::kDefaultProject;
  KILN_ASSIGN_OR_RETURN(
      track::ProjectRecord project,
      ensure ? store->projects().Ensure(global_.project) : store->projects().Find(global_.project));
  project_id_ = project.id;
  return project.id;
}

core::Result<track::ArtifactStore*> Session::Artifacts() {
  if (artifacts_ == nullptr) {
    if (env_.kiln_home.empty()) {
      return core::FailedPrecondition("no artifact store: $KILN_HOME is not set");
    }
    KILN_ASSIGN_OR_RETURN(track::MetaStore * store, Store());
    artifacts_ =
        std::make_unique<track::ArtifactStore>(env_.kiln_home + "/artifacts/" + store->store_id());
  }
  return artifacts_.get();
}

core::Result<data::Dataset> Session::ReadData(const std::string& path,
                                              const data::ReadOptions& options,
                                              core::Context& ctx) {
  const auto start = std::chrono::steady_clock::now();
  auto dataset = env_.read_dataset(path, options, ctx);
  if (!dataset.ok()) return dataset;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  logger_->Debug("read {} × {} from {} in {}", Plural(dataset->num_rows(), "row"),
                 Plural(dataset->num_features(), "feature"), path, core::HumanDuration(seconds));
  return dataset;
}

std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  return ec ? path : absolute.lexically_normal().string();
}

core::Status CheckInputFile(const std::string& flag, const std::string& path) {
  if (path.empty()) return core::InvalidArgument("{} needs a file name", flag);
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    return core::NotFound("{} {}: no such file", flag, path);
  }
  if (std::filesystem::is_directory(status)) {
    return core::InvalidArgument("{} {}: is a directory; expected a file", flag, path);
  }
  if (::access(path.c_str(), R_OK) != 0) {
    return core::IoError("{} {}: permission denied (cannot read it)", flag, path);
  }
  return core::Status::Ok();
}

core::Status PrepareOutputFile(const std::string& flag, const std::string& path,
                               const std::vector<std::string>& inputs) {
  if (path.empty()) return core::InvalidArgument("{} needs a file name", flag);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return core::InvalidArgument("{} {}: is a directory; expected a file name", flag, path);
  }
  for (const auto& input : inputs) {
    if (!input.empty() && std::filesystem::equivalent(path, input, ec)) {
      return core::InvalidArgument(
          "{} {}: is also an input of this command ({}); refusing to "
          "overwrite it",
          flag, path, input);
    }
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    core::Status status = core::CreateDirectories(parent.string());
    if (!status.ok()) return status.AddContext("while preparing " + flag + " " + path);
  }
  const std::string dir = parent.empty() ? "." : parent.string();
  if (::access(dir.c_str(), W_OK) != 0) {
    return core::IoError("{} {}: cannot write into directory {} (permission denied)", flag, path,
                         dir);
  }
  return core::Status::Ok();
}

}  // namespace kiln::cli
