// MpiTransport: a Transport over MPI point-to-point messages between the processes of
// MPI_COMM_WORLD (target kiln_dist_mpi; only it links MPI and includes <mpi.h>).
//
// The transport works on its own duplicate of MPI_COMM_WORLD, so its tags never meet other MPI
// traffic of the process, and sets MPI_ERRORS_RETURN on it, so MPI failures come back as Status.
// Send is MPI_Isend of a copy of the bytes (it never blocks on the receiver; finished sends are
// reaped by later calls and the destructor). Recv polls MPI_Iprobe until a message arrives or the
// timeout passes (kCancelled), so a peer that never sends does not hang the caller forever.
// Collectives over MPI are RingCollective over this transport: AllReduce gives the same bits as
// over InProcCluster (MPI_Allreduce does not promise a summation order, so it is not used).
// Peers are assumed to share the byte order and floating-point format (one architecture).
//
// Abort cannot reach the peers without killing the job (MPI_Abort); it fails this rank's later
// calls with the reason. Peers stop at their Recv timeout.
//
// Ownership and thread-safety: borrows the MpiEnvironment, which must outlive the transport.
// Create is collective (every rank calls it, in the same order as other communicator creations).
// One thread at a time, the thread that created the environment.
#pragma once

#include <chrono>
#include <memory>

#include "kiln/core/result.h"
#include "kiln/dist/mpi_environment.h"
#include "kiln/dist/transport.h"

namespace kiln::dist {

struct MpiTransportOptions {
  // How long a Recv waits for a message before failing with kCancelled.
  std::chrono::milliseconds recv_timeout{std::chrono::minutes(5)};
};

class MpiTransport : public Transport {
 public:
  static core::Result<std::unique_ptr<MpiTransport>> Create(MpiEnvironment& env,
                                                            MpiTransportOptions options = {});
  ~MpiTransport() override;
  MpiTransport(const MpiTransport&) = delete;
  MpiTransport& operator=(const MpiTransport&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  core::Status Send(int dest, int tag, std::span<const std::byte> bytes) override;
  core::Result<std::vector<std::byte>> Recv(int src, int tag) override;
  void Abort(const core::Status& reason) override;

  struct Impl;  // MPI handles; defined in the .cc so this header does not include <mpi.h>

 private:
  MpiTransport(std::unique_ptr<Impl> impl, int rank, int size, MpiTransportOptions options);

  std::unique_ptr<Impl> impl_;
  int rank_;
  int size_;
  MpiTransportOptions options_;
  core::Status aborted_;  // OK until Abort
};

}  // namespace kiln::dist
