// kiln train --dist: data-parallel training of algorithms with capability "distributed".
//
//   --dist allreduce --workers N   N ranks as threads of this process (InProcCluster +
//                                  RingCollective); the --threads are shared out among them.
//   mpirun -np N kiln train --dist mpi ...
//                                  this process is one rank of an MPI job (MpiEnvironment +
//                                  MpiTransport + RingCollective); --threads is per process.
//
// Each rank trains on its shard: contiguous rows of --data (rank r of N gets rows
// [r·n/N, (r+1)·n/N)), or its own file when --data contains "{rank}" (replaced by the rank
// number). Only rank 0 writes the model, records the run and prints; an error on any rank fails
// every rank with that error (agreed over the collective), and a broken connection ends the MPI
// job (MPI_Abort) rather than leave peers waiting. Private to src/cli.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "commands.h"
#include "kiln/core/context.h"
#include "kiln/core/param_spec.h"
#include "kiln/data/dataset_view.h"
#include "kiln/dist/collective.h"
#include "kiln/ml/algorithm_registry.h"
#include "kiln/ml/model.h"
#include "session.h"

namespace kiln::cli {

// Checks --dist and --workers against each other, the algorithm and --data, before anything is
// read or started.
core::Status CheckDistOptions(const TrainOptions& options, const ml::AlgorithmEntry& entry,
                              const ml::AlgorithmRegistry& registry);

// Rows [first, second) of rank `rank` of `ranks` over `rows` rows.
std::pair<size_t, size_t> ShardRange(size_t rows, int rank, int ranks);

// Whether --data names one file per rank, and rank `rank`'s file.
bool HasRankPattern(const std::string& path);
std::string RankPath(const std::string& pattern, int rank);

// One rank of an MPI job as `kiln train` sees it.
struct MpiRank {
  dist::Collective* collective = nullptr;
  bool broken = false;  // an agreement failed: peers may be waiting, the job must end
  // Every rank's status agreed (dist::AgreeOnStatus); sets `broken` when that fails.
  core::Status Agree(const core::Status& local);
};

// --dist allreduce: fits one rank per shard on threads of this process over an in-process
// cluster, each with `threads_per_rank` threads (ctx.Child), and returns rank 0's model, or the
// error of the lowest failing rank.
core::Result<std::unique_ptr<ml::Model>> FitInProcess(const ml::AlgorithmEntry& entry,
                                                      const core::ParamMap& params,
                                                      const std::vector<data::DatasetView>& shards,
                                                      int threads_per_rank, core::Context& ctx);

// --dist mpi: joins the mpirun job and runs RunTrainAs as its rank.
core::Status RunTrainMpi(const TrainOptions& options, const ml::AlgorithmEntry& entry,
                         const core::ParamMap& params, Session& session);

// train_command.cc: the train command as one process (mpi == nullptr, including --dist
// allreduce) or as one MPI rank.
core::Status RunTrainAs(const TrainOptions& options, const ml::AlgorithmEntry& entry,
                        const core::ParamMap& params, Session& session, MpiRank* mpi);

}  // namespace kiln::cli
