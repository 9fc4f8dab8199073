#include "kiln/dist/mpi_environment.h"

#include <mpi.h>

#include <cstdlib>

#include "mpi_status.h"

namespace kiln::dist {

core::Result<std::unique_ptr<MpiEnvironment>> MpiEnvironment::Create(int& argc, char**& argv) {
  int initialized = 0;
  int finalized = 0;
  KILN_RETURN_IF_ERROR(MpiCheck(MPI_Initialized(&initialized), "MPI_Initialized"));
  KILN_RETURN_IF_ERROR(MpiCheck(MPI_Finalized(&finalized), "MPI_Finalized"));
  if (initialized || finalized) {
    return core::FailedPrecondition(
        "MPI was already {} in this process; a process holds one MpiEnvironment",
        finalized ? "finalised" : "initialised");
  }
  int provided = 0;
  KILN_RETURN_IF_ERROR(
      MpiCheck(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread"));
  int rank = 0;
  int size = 0;
  core::Status status = MpiCheck(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  if (status.ok()) status = MpiCheck(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
  if (!status.ok()) {
    MPI_Finalize();
    return status;
  }
  return std::unique_ptr<MpiEnvironment>(new MpiEnvironment(rank, size));  // private constructor
}

core::Result<std::unique_ptr<MpiEnvironment>> MpiEnvironment::Create() {
  int argc = 0;
  char** argv = nullptr;
  return Create(argc, argv);
}

MpiEnvironment::~MpiEnvironment() { MPI_Finalize(); }

void MpiEnvironment::AbortJob(int exit_code) {
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::abort();  // MPI_Abort does not return; this keeps [[noreturn]] honest
}

}  // namespace kiln::dist
