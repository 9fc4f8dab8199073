// Collective: the operations every rank of a job calls together — AllReduce, Broadcast,
// AllGather and Barrier. An object over one rank's communication (not a static class), so one
// process can run several jobs, or several ranks of one job on threads.
//
// Contract: every rank calls the same operations in the same order with agreeing arguments
// (AllReduce: the same element type, operation and count; Broadcast: the same root). Arguments
// that disagree between ranks are detected: every rank returns the same kInvalidArgument error
// naming the ranks and what each passed, and the collective stays usable.
//
// Determinism: AllReduce results are bit-for-bit identical on every rank and between runs with
// the same inputs and the same number of ranks, whatever the transport (threads or MPI): the
// floating-point operations and their order are fixed by the algorithm, never by timing.
//
// Failures of the transport (a peer gone, a timeout, an abort) are returned as errors; after one,
// the job is broken and the collective calls Transport::Abort so peers stop waiting too.
//
// Thread-safety: one thread at a time per Collective (the rank's thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/core/status.h"

namespace kiln::dist {

enum class ReduceOp : int { kSum = 0, kMin = 1, kMax = 2 };

std::string_view ReduceOpName(ReduceOp op);

class Collective {
 public:
  virtual ~Collective() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;

  // Replaces data[i] on every rank by op over every rank's data[i], in place. Integer sums wrap
  // around on overflow (two's complement) instead of being undefined.
  virtual core::Status AllReduce(std::span<double> data, ReduceOp op) = 0;
  virtual core::Status AllReduce(std::span<float> data, ReduceOp op) = 0;
  virtual core::Status AllReduce(std::span<int64_t> data, ReduceOp op) = 0;

  // Copies `root`'s data to every rank: on the others `data` is replaced (any size before).
  virtual core::Status Broadcast(std::vector<std::byte>& data, int root) = 0;

  // Every rank's `local` bytes (sizes may differ, including empty), indexed by rank.
  virtual core::Result<std::vector<std::vector<std::byte>>> AllGather(
      std::span<const std::byte> local) = 0;

  // Returns once every rank has called Barrier.
  virtual core::Status Barrier() = 0;
};

}  // namespace kiln::dist
