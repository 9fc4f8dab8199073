#include "train_dist.h"

#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "kiln/core/error_code.h"
#include "kiln/core/strings.h"
#include "kiln/dist/agreement.h"
#include "kiln/dist/inproc_cluster.h"
#include "kiln/dist/mpi_environment.h"
#include "kiln/dist/mpi_transport.h"
#include "kiln/dist/ring_collective.h"

namespace kiln::cli {
namespace {

constexpr const char* kRankPattern = "{rank}";

// Set by mpirun (OpenMPI) or a PMI/PMIx launcher in every process it starts.
bool UnderMpiLauncher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

}  // namespace

core::Status CheckDistOptions(const TrainOptions& options, const ml::AlgorithmEntry& entry,
                              const ml::AlgorithmRegistry& registry) {
  const std::string& mode = options.dist;
  if (!mode.empty() && mode != "allreduce" && mode != "mpi") {
    return core::InvalidArgument(
        "--dist: expected 'allreduce' (ranks as threads, with --workers N) or 'mpi' (under "
        "mpirun), found '{}'",
        core::Excerpt(mode));
  }
  if (options.workers != 0 && mode != "allreduce") {
    return core::InvalidArgument(
        "--workers {} needs --dist allreduce (it is the number of in-process ranks){}",
        options.workers, mode == "mpi" ? "; under mpirun the number of ranks is mpirun's -np" : "");
  }
  if (mode == "allreduce" && options.workers < 1) {
    return core::InvalidArgument(
        "--dist allreduce needs --workers N with N >= 1, found {}",
        options.workers == 0 ? std::string("no --workers") : std::to_string(options.workers));
  }
  if (mode.empty()) {
    if (HasRankPattern(options.data)) {
      return core::InvalidArgument(
          "--data {}: '{{rank}}' names one file per rank, which needs --dist allreduce or "
          "--dist mpi",
          options.data);
    }
    return core::Status::Ok();
  }
  if (!entry.Has(ml::capability::kDistributed)) {
    std::vector<std::string> able;
    for (const std::string& name : registry.Names()) {
      auto other = registry.Get(name);
      if (other.ok() && (*other)->Has(ml::capability::kDistributed)) able.push_back(name);
    }
    return core::InvalidArgument(
        "{} does not train data-parallel (--dist {}); algorithms that do: {} (capability "
        "'distributed' in 'kiln algorithms')",
        entry.name, mode, core::Join(able, ", "));
  }
  return core::Status::Ok();
}

std::pair<size_t, size_t> ShardRange(size_t rows, int rank, int ranks) {
  const size_t r = static_cast<size_t>(rank);
  const size_t n = static_cast<size_t>(ranks);
  return {rows * r / n, rows * (r + 1) / n};
}

bool HasRankPattern(const std::string& path) {
  return path.find(kRankPattern) != std::string::npos;
}

std::string RankPath(const std::string& pattern, int rank) {
  std::string out = pattern;
  const std::string number = std::to_string(rank);
  const std::string key = kRankPattern;
  for (size_t at = out.find(key); at != std::string::npos; at = out.find(key, at + number.size()))
    out.replace(at, key.size(), number);
  return out;
}

core::Status MpiRank::Agree(const core::Status& local) {
  bool exchanged = false;
  core::Status agreed = dist::AgreeOnStatus(*collective, local, &exchanged);
  if (!exchanged) broken = true;
  return agreed;
}

core::Result<std::unique_ptr<ml::Model>> FitInProcess(const ml::AlgorithmEntry& entry,
                                                      const core::ParamMap& params,
                                                      const std::vector<data::DatasetView>& shards,
                                                      int threads_per_rank, core::Context& ctx) {
  const int n = static_cast<int>(shards.size());
  dist::InProcCluster cluster(n);
  std::vector<std::unique_ptr<core::Context>> contexts;
  for (int r = 0; r < n; ++r) contexts.push_back(ctx.Child(threads_per_rank, ctx.seed()));
  using ModelResult = core::Result<std::unique_ptr<ml::Model>>;
  std::vector<ModelResult> results;
  for (int r = 0; r < n; ++r) results.emplace_back(core::Internal("rank {} did not run", r));
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) {
    threads.emplace_back([&, r] {
      const size_t i = static_cast<size_t>(r);
      auto fit = [&]() -> ModelResult {
        KILN_ASSIGN_OR_RETURN(std::unique_ptr<dist::Transport> transport, cluster.Join(r));
        dist::RingCollective collective(*transport);
        KILN_ASSIGN_OR_RETURN(auto estimator, entry.factory.create(params));
        ml::TrainInput input{shards[i], std::nullopt, &collective};
        return estimator->Fit(input, *contexts[i]);
      };
      results[i] = fit();
      // Ranks still waiting for this one stop instead of timing out.
      if (!results[i].ok()) cluster.Abort(results[i].status());
    });
  }
  for (auto& t : threads) t.join();
  // The root cause: the lowest rank's error that is not the abort it caused elsewhere.
  for (const bool skip_cancelled : {true, false}) {
    for (const ModelResult& result : results) {
      if (result.ok()) continue;
      if (skip_cancelled && result.status().code() == core::StatusCode::kCancelled) continue;
      return result.status();
    }
  }
  return std::move(results[0]);
}

core::Status RunTrainMpi(const TrainOptions& options, const ml::AlgorithmEntry& entry,
                         const core::ParamMap& params, Session& session) {
  if (!UnderMpiLauncher()) {
    return core::FailedPrecondition(
        "--dist mpi: this process was not started by mpirun (no OMPI_COMM_WORLD_SIZE, PMIX_RANK "
        "or PMI_RANK in the environment); run 'mpirun -np N kiln train --dist mpi ...', or "
        "--dist allreduce --workers N for ranks in one process");
  }
  auto env = dist::MpiEnvironment::Create();
  if (!env.ok()) return core::Status(env.status()).AddContext("while starting MPI (--dist mpi)");
  auto transport = dist::MpiTransport::Create(**env);
  if (!transport.ok()) {
    return core::Status(transport.status()).AddContext("while connecting the MPI ranks");
  }
  dist::RingCollective collective(**transport);
  if (collective.rank() != 0) session.BecomeSecondaryRank();
  MpiRank mpi;
  mpi.collective = &collective;
  core::Status status = RunTrainAs(options, entry, params, session, &mpi);
  if (mpi.broken) {
    // The peers may be waiting for this rank: say why here, then end the whole job.
    const core::ErrorSurface& surface = core::SurfaceFor(status.code());
    session.err() << fmt::format("kiln: {}: rank {} of {}: {}\n", surface.prefix, collective.rank(),
                                 collective.size(), status.ToString());
    session.err().flush();
    (*env)->AbortJob(surface.exit_code);
  }
  return status;
}

}  // namespace kiln::cli
