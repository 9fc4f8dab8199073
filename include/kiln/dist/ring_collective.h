// RingCollective: a Collective over any Transport, with ring algorithms whose results do not
// depend on timing.
//
// AllReduce is a ring reduce-scatter then a ring all-gather: the buffer is cut into size()
// chunks; chunk c is reduced along the ring starting at rank c, ((x_c op x_c+1) op ...) op x_c-1,
// by exactly one rank, and that rank's result is copied to all others. So every rank gets the same
// bits, and a run over MPI gives the same bits as a run over threads. Each rank sends and receives
// about 2 * n * (size-1) / size elements. Broadcast forwards along the ring from the root;
// AllGather passes each rank's block around the ring.
//
// Every operation starts with a small ring all-gather of each rank's call (operation, element
// type, reduce op, count, root), so ranks that disagree all return the same error rather than
// hang or mix up buffers; Barrier is that exchange alone. Cost: size()-1 extra small messages.
//
// Messages use one tag (options.tag); point-to-point traffic of the caller on the same Transport
// must use other tags. Ownership: borrows the Transport, which must outlive this object.
// Thread-safety: as Collective (one thread at a time).
#pragma once

#include <cstdint>

#include "kiln/dist/collective.h"
#include "kiln/dist/transport.h"

namespace kiln::dist {

struct RingCollectiveOptions {
  int tag = kMaxTag;  // the tag of every message this collective sends
};

class RingCollective : public Collective {
 public:
  explicit RingCollective(Transport& transport, RingCollectiveOptions options = {});

  int rank() const override { return transport_.rank(); }
  int size() const override { return transport_.size(); }

  core::Status AllReduce(std::span<double> data, ReduceOp op) override;
  core::Status AllReduce(std::span<float> data, ReduceOp op) override;
  core::Status AllReduce(std::span<int64_t> data, ReduceOp op) override;
  core::Status Broadcast(std::vector<std::byte>& data, int root) override;
  core::Result<std::vector<std::vector<std::byte>>> AllGather(
      std::span<const std::byte> local) override;
  core::Status Barrier() override;

 private:
  // What one rank asked for; exchanged at the start of every operation.
  struct Call {
    int64_t kind = 0;
    int64_t dtype = 0;
    int64_t op = 0;
    int64_t count = 0;
    int64_t root = 0;
  };

  template <typename T>
  core::Status AllReduceImpl(std::span<T> data, ReduceOp op, int64_t dtype);
  // Ring all-gather of one block per rank: on entry blocks[rank()] is this rank's, on return all.
  core::Status RingAllGather(std::vector<std::vector<std::byte>>& blocks);
  // Exchanges `call` with every rank; the same error on every rank if they disagree.
  core::Status Agree(const Call& call);
  core::Status SendTo(int dest, std::span<const std::byte> bytes);
  core::Result<std::vector<std::byte>> RecvFrom(int src);
  // Aborts the transport with `status` (a transport failure) and returns it.
  core::Status Fail(core::Status status);

  Transport& transport_;
  RingCollectiveOptions options_;
};

}  // namespace kiln::dist
