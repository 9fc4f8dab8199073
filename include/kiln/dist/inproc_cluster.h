// InProcCluster: N ranks of one job as threads of one process. The cluster owns the mailboxes;
// Join(rank) hands out that rank's Transport, so a test runs four ranks on four threads:
//
//   InProcCluster cluster(4);
//   for (int r = 0; r < 4; ++r) threads.emplace_back([&, r] {
//     auto transport = cluster.Join(r);   // Result<unique_ptr<Transport>>
//     RingCollective collective(**transport);
//     ...
//   });
//
// A rank leaves when its Transport is destroyed: a peer's Recv from it then fails once no message
// from it is left (kFailedPrecondition) and Send to it fails. Abort() (from any thread, or any
// rank's Transport::Abort) fails every pending and later Send and Recv of every rank with
// kCancelled and the reason. Recv fails with kCancelled after the options' timeout.
//
// Ownership and thread-safety: the cluster must outlive every Transport it handed out. All member
// functions are thread-safe; each Transport is used by one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/core/status.h"
#include "kiln/dist/transport.h"

namespace kiln::dist {

struct InProcClusterOptions {
  // How long a Recv waits for a message before failing with kCancelled.
  std::chrono::milliseconds recv_timeout{std::chrono::seconds(60)};
};

class InProcCluster {
 public:
  // A cluster of `size` ranks (size >= 1; a programmer error otherwise).
  explicit InProcCluster(int size, InProcClusterOptions options = {});
  ~InProcCluster();
  InProcCluster(const InProcCluster&) = delete;
  InProcCluster& operator=(const InProcCluster&) = delete;

  int size() const;

  // The Transport of `rank`; kInvalidArgument if rank is out of range, kAlreadyExists if that rank
  // was already handed out (a rank joins once, even after it left).
  core::Result<std::unique_ptr<Transport>> Join(int rank);

  // Fails every rank's pending and later Send and Recv with kCancelled and `reason`. The first
  // reason wins; later calls are no-ops.
  void Abort(const core::Status& reason);
  bool aborted() const;

  class State;  // shared with the transports; defined in the .cc

 private:
  std::unique_ptr<State> state_;
};

}  // namespace kiln::dist
