// Transport: point-to-point byte messages between the ranks of one job.
//
// A job has size() ranks numbered 0..size()-1; each rank holds one Transport. Send queues a copy
// of the bytes for a peer under a tag and returns without waiting for the peer to receive them
// (buffered), so every rank may send before it receives without deadlock. Recv(src, tag) returns
// the oldest message from `src` under `tag`: messages between one pair of ranks under one tag
// arrive in the order they were sent. Implementations: InProcTransport (threads of one process,
// from an InProcCluster) and MpiTransport (processes under mpirun, target kiln_dist_mpi).
//
// Errors: Recv never waits forever. It fails with kCancelled when its timeout passes or the job
// was aborted, and with kFailedPrecondition when the peer has left. Arguments out of range (a
// rank, a negative tag) are kInvalidArgument.
//
// Thread-safety: a Transport is used by one thread at a time (its rank's thread). Different
// ranks' Transports are used concurrently.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/core/status.h"

namespace kiln::dist {

// Tags are 0..kMaxTag, the range every MPI implementation supports.
inline constexpr int kMaxTag = 32767;

class Transport {
 public:
  virtual ~Transport() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;

  // Queues a copy of `bytes` for rank `dest` (which may be this rank) under `tag`.
  virtual core::Status Send(int dest, int tag, std::span<const std::byte> bytes) = 0;
  // The oldest message from rank `src` under `tag`, waiting for it if none has arrived.
  virtual core::Result<std::vector<std::byte>> Recv(int src, int tag) = 0;
  // Marks the job as failed with `reason`, so peers blocked in Recv return an error instead of
  // waiting for this rank. What "peers" means depends on the transport: the in-process one wakes
  // every rank of its cluster; see each implementation.
  virtual void Abort(const core::Status& reason) = 0;
};

// Shared argument checks for implementations: `peer` is a rank of a job of `size` ranks and `tag`
// is in 0..kMaxTag. `what` names the call ("Send", "Recv") in the message.
core::Status CheckPeerAndTag(const char* what, int peer, int tag, int size);

}  // namespace kiln::dist
