#include "kiln/dist/mpi_transport.h"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <thread>
#include <utility>
#include <vector>

#include "mpi_status.h"

namespace kiln::dist {

struct MpiTransport::Impl {
  // A send in flight: MPI reads `bytes` until `request` completes.
  struct PendingSend {
    std::vector<std::byte> bytes;
    MPI_Request request = MPI_REQUEST_NULL;
  };

  MPI_Comm comm = MPI_COMM_NULL;
  std::vector<std::unique_ptr<PendingSend>> pending;

  // Drops the sends MPI has finished with.
  core::Status Reap() {
    core::Status status;
    std::erase_if(pending, [&](const std::unique_ptr<PendingSend>& send) {
      int done = 0;
      core::Status s = MpiCheck(MPI_Test(&send->request, &done, MPI_STATUS_IGNORE), "MPI_Test");
      if (!s.ok() && status.ok()) status = std::move(s);
      return s.ok() && done != 0;
    });
    return status;
  }
};

namespace {

// Waits between polls: yields first (ranks may share cores under --oversubscribe), then sleeps
// up to 200 microseconds.
void Backoff(int& polls) {
  ++polls;
  if (polls < 64) {
    std::this_thread::yield();
  } else {
    std::this_thread::sleep_for(std::chrono::microseconds(std::min(polls, 200)));
  }
}

}  // namespace

core::Result<std::unique_ptr<MpiTransport>> MpiTransport::Create(MpiEnvironment& env,
                                                                 MpiTransportOptions options) {
  auto impl = std::make_unique<Impl>();
  KILN_RETURN_IF_ERROR(MpiCheck(MPI_Comm_dup(MPI_COMM_WORLD, &impl->comm), "MPI_Comm_dup"));
  core::Status status =
      MpiCheck(MPI_Comm_set_errhandler(impl->comm, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  int rank = 0;
  int size = 0;
  if (status.ok()) status = MpiCheck(MPI_Comm_rank(impl->comm, &rank), "MPI_Comm_rank");
  if (status.ok()) status = MpiCheck(MPI_Comm_size(impl->comm, &size), "MPI_Comm_size");
  if (!status.ok()) {
    MPI_Comm_free(&impl->comm);
    return status;
  }
  (void)env;  // proof that MPI is initialised; the environment must outlive the transport
  return std::unique_ptr<MpiTransport>(new MpiTransport(std::move(impl), rank, size, options));
}

MpiTransport::MpiTransport(std::unique_ptr<Impl> impl, int rank, int size,
                           MpiTransportOptions options)
    : impl_(std::move(impl)), rank_(rank), size_(size), options_(options) {}

MpiTransport::~MpiTransport() {
  // Let the sends in flight finish (their receivers are normally already waiting for them).
  const auto deadline = std::chrono::steady_clock::now() + options_.recv_timeout;
  int polls = 0;
  while (!impl_->pending.empty() && std::chrono::steady_clock::now() < deadline) {
    if (!impl_->Reap().ok()) break;
    if (!impl_->pending.empty()) Backoff(polls);
  }
  // Sends nobody received: MPI may still read their buffers, so leak them rather than free them.
  for (auto& send : impl_->pending) (void)send.release();
  MPI_Comm_free(&impl_->comm);
}

core::Status MpiTransport::Send(int dest, int tag, std::span<const std::byte> bytes) {
  KILN_RETURN_IF_ERROR(CheckPeerAndTag("Send", dest, tag, size_));
  if (!aborted_.ok()) return aborted_;
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    return core::ResourceExhausted("Send: a message of {} bytes is larger than MPI's limit of {}",
                                   bytes.size(), INT_MAX);
  }
  KILN_RETURN_IF_ERROR(impl_->Reap());
  auto send = std::make_unique<Impl::PendingSend>();
  send->bytes.assign(bytes.begin(), bytes.end());
  KILN_RETURN_IF_ERROR(MpiCheck(MPI_Isend(send->bytes.data(), static_cast<int>(bytes.size()),
                                          MPI_BYTE, dest, tag, impl_->comm, &send->request),
                                "MPI_Isend"));
  impl_->pending.push_back(std::move(send));
  return core::Status::Ok();
}

core::Result<std::vector<std::byte>> MpiTransport::Recv(int src, int tag) {
  KILN_RETURN_IF_ERROR(CheckPeerAndTag("Recv", src, tag, size_));
  if (!aborted_.ok()) return aborted_;
  const auto deadline = std::chrono::steady_clock::now() + options_.recv_timeout;
  int polls = 0;
  while (true) {
    int arrived = 0;
    MPI_Status probe;
    KILN_RETURN_IF_ERROR(
        MpiCheck(MPI_Iprobe(src, tag, impl_->comm, &arrived, &probe), "MPI_Iprobe"));
    if (arrived != 0) {
      int count = 0;
      KILN_RETURN_IF_ERROR(MpiCheck(MPI_Get_count(&probe, MPI_BYTE, &count), "MPI_Get_count"));
      std::vector<std::byte> message(static_cast<size_t>(count));
      KILN_RETURN_IF_ERROR(MpiCheck(
          MPI_Recv(message.data(), count, MPI_BYTE, src, tag, impl_->comm, MPI_STATUS_IGNORE),
          "MPI_Recv"));
      KILN_RETURN_IF_ERROR(impl_->Reap());
      return message;
    }
    KILN_RETURN_IF_ERROR(impl_->Reap());
    if (std::chrono::steady_clock::now() >= deadline) {
      return core::Cancelled("Recv: timed out after {} ms waiting for MPI rank {} (tag {})",
                             options_.recv_timeout.count(), src, tag);
    }
    Backoff(polls);
  }
}

void MpiTransport::Abort(const core::Status& reason) {
  if (!aborted_.ok()) return;
  aborted_ = reason.ok() ? core::Cancelled("aborted") : reason;
  aborted_.AddContext(fmt::format("MPI rank {} was aborted", rank_));
}

}  // namespace kiln::dist
