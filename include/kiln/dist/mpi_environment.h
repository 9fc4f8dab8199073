// MpiEnvironment: owns MPI's initialisation for one process (target kiln_dist_mpi).
// Create calls MPI_Init_thread and the destructor MPI_Finalize, so a main()
// under mpirun holds one MpiEnvironment for as long as it uses MPI:
//
//   auto env = MpiEnvironment::Create(argc, argv);        // Result<unique_ptr<MpiEnvironment>>
//   auto transport = MpiTransport::Create(**env);         // every rank, together
//   RingCollective collective(**transport);
//
// MPI allows one initialisation per process: Create fails with kFailedPrecondition if MPI was
// already initialised or finalised (by another MpiEnvironment or by other code).
//
// Ownership and thread-safety: destroy every MpiTransport before the environment. MPI is
// initialised with MPI_THREAD_FUNNELED: only the thread that created the environment calls MPI.
#pragma once

#include <memory>

#include "kiln/core/result.h"

namespace kiln::dist {

class MpiEnvironment {
 public:
  static core::Result<std::unique_ptr<MpiEnvironment>> Create(int& argc, char**& argv);
  // The same without the command line (MPI_Init_thread with null arguments).
  static core::Result<std::unique_ptr<MpiEnvironment>> Create();
  ~MpiEnvironment();
  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;

  // This process's rank in MPI_COMM_WORLD and the number of processes there.
  int world_rank() const { return world_rank_; }
  int world_size() const { return world_size_; }

  // Ends every process of the job with `exit_code` (MPI_Abort): for a failure the peers cannot
  // learn about otherwise (a broken transport), so none of them waits for this rank.
  [[noreturn]] void AbortJob(int exit_code);

 private:
  MpiEnvironment(int world_rank, int world_size)
      : world_rank_(world_rank), world_size_(world_size) {}

  int world_rank_;
  int world_size_;
};

}  // namespace kiln::dist
